package checks

import "strings"

// The revisions mcpscope knows, oldest first.
const (
	rev20241105 = "2024-11-05"
	rev20250326 = "2025-03-26"
	rev20250618 = "2025-06-18"
	rev20251125 = "2025-11-25"
	rev20260728 = "2026-07-28"
)

// Rule is one check: its id (what --allow names), how bad breaking it is,
// the revisions it applies to, and where the spec states it.
type Rule struct {
	ID    string
	Level string // "error": the spec says MUST; "warning": SHOULD, or a bound of mcpscope's
	// From and To bound the revisions the rule applies to ("" for no
	// bound); a session whose revision is not known is checked only by
	// rules with neither bound.
	From, To string
	// Says is the requirement, in a sentence, for the README and reports.
	Says string
	// cite returns the section and its path under /specification/{rev}/
	// for a revision the rule applies to.
	cite func(rev string) (section, path string)
}

// Rule ids.
const (
	RuleAnswerUnknownID      = "answer-unknown-id"
	RuleDuplicateRequestID   = "duplicate-request-id"
	RuleNotificationWithID   = "notification-with-id"
	RuleUndeclaredCapability = "undeclared-capability"
	RuleServerRequest        = "server-request"
	RuleProgressUnknownToken = "progress-unknown-token"
	RuleProgressNotIncreased = "progress-not-increasing"
	RuleResultAfterCancel    = "result-after-cancel"
	RuleResultTypeMissing    = "result-type-missing"
	RuleContentType          = "content-type"
	RuleSSEIDMissing         = "sse-id-missing"
	RuleHeaderMismatch       = "header-mismatch"
	RuleHung                 = "hung"
	RuleToolListChanged      = "tool-list-changed"
)

// at cites a fixed section: a page per revision range.
func at(section string, pages ...string) func(string) (string, string) {
	return func(rev string) (string, string) {
		// pages alternate "from-revision", "page#anchor": the last whose
		// revision is not after rev applies.
		page := pages[1]
		for i := 0; i+1 < len(pages); i += 2 {
			if rev >= pages[i] {
				page = pages[i+1]
			}
		}
		return section, page
	}
}

// Rules lists every check, in the order reports show them.
var Rules = []*Rule{
	{ID: RuleAnswerUnknownID, Level: "error",
		Says: "A response carries the id of a request the other side sent and is still waiting for; an answer to no pending request (never sent, or answered already) breaks it.",
		cite: at("Base protocol § Responses", rev20241105, "basic#responses")},
	{ID: RuleDuplicateRequestID, Level: "error",
		Says: "A request id is not reused by its sender: within the session up to 2025-11-25, while the earlier request is unanswered from 2026-07-28.",
		cite: at("Base protocol § Requests", rev20241105, "basic#requests")},
	{ID: RuleNotificationWithID, Level: "error",
		Says: "A notification carries no id (a notifications/* method sent with an id, or any message with \"id\": null).",
		cite: at("Base protocol § Notifications", rev20241105, "basic#notifications")},
	{ID: RuleUndeclaredCapability, Level: "error", To: rev20251125,
		Says: "A server sends sampling/createMessage, elicitation/create or roots/list only to a client whose initialize declared sampling, elicitation or roots.",
		cite: at("Lifecycle § Capability negotiation", rev20241105, "basic/lifecycle#capability-negotiation")},
	{ID: RuleServerRequest, Level: "error", From: rev20260728,
		Says: "A server sends no independent requests: sampling, elicitation and roots travel inside results (MRTR).",
		cite: at("Streamable HTTP § Receiving Messages", rev20260728, "basic/transports/streamable-http#receiving-messages")},
	{ID: RuleProgressUnknownToken, Level: "error",
		Says: "A progress notification names a progressToken that a request of the session offered.",
		cite: at("Progress § Behavior Requirements", rev20241105, "basic/utilities/progress#behavior-requirements", rev20260728, "basic/patterns/progress")},
	{ID: RuleProgressNotIncreased, Level: "error",
		Says: "The progress value of a token increases with each notification.",
		cite: at("Progress § Behavior Requirements", rev20241105, "basic/utilities/progress#behavior-requirements", rev20260728, "basic/patterns/progress")},
	{ID: RuleResultAfterCancel, Level: "warning",
		Says: "The receiver of notifications/cancelled does not answer the cancelled request (an answer later than the grace after the cancellation is reported).",
		cite: at("Cancellation § Behavior Requirements", rev20241105, "basic/utilities/cancellation#behavior-requirements", rev20260728, "basic/patterns/cancellation")},
	{ID: RuleResultTypeMissing, Level: "error", From: rev20260728,
		Says: "Every result a server sends includes resultType.",
		cite: at("Base protocol § Result Responses", rev20260728, "basic#resulttype")},
	{ID: RuleContentType, Level: "error", From: rev20250326,
		Says: "A POST carrying a request is answered application/json or text/event-stream; one carrying only notifications or responses 202 Accepted; a GET text/event-stream (or 405).",
		cite: at("Transports § Sending Messages to the Server", rev20250326, "basic/transports#sending-messages-to-the-server", rev20260728, "basic/transports/streamable-http#sending-messages")},
	{ID: RuleSSEIDMissing, Level: "warning", From: rev20250326, To: rev20251125,
		Says: "A stream the server made resumable (an event with an id, or a retry field) gives every message event an id, or the client cannot resume past it.",
		cite: at("Transports § Resumability and Redelivery", rev20250326, "basic/transports#resumability-and-redelivery")},
	{ID: RuleHeaderMismatch, Level: "error", From: rev20260728,
		Says: "The Mcp-Method and Mcp-Name headers of a request equal its body's method and params.name (params.uri for resources/read).",
		cite: at("Streamable HTTP § Standard Request Headers", rev20260728, "basic/transports/streamable-http#standard-request-headers")},
	{ID: RuleHung, Level: "warning",
		Says: "A request is answered, or shows progress, within --hung-after (10s by default; subscriptions/listen is exempt).",
		cite: at("Lifecycle § Timeouts", rev20241105, "basic/lifecycle#timeouts", rev20260728, "basic/patterns#request-and-response")},
	{ID: RuleToolListChanged, Level: "warning",
		Says: "The tool list stays the same within a session unless the server says it changed (notifications/tools/list_changed); every change mid-session is reported, with the tools added, removed or changed.",
		cite: at("Tools § List Changed Notification", rev20241105, "server/tools#list-changed-notification")},
}

// RuleByID returns the rule with the id, or nil.
func RuleByID(id string) *Rule {
	for _, r := range Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// appliesTo reports whether the rule checks a session speaking rev ("" when
// not known).
func (r *Rule) appliesTo(rev string) bool {
	if rev == "" || !isRevision(rev) {
		return r.From == "" && r.To == ""
	}
	return (r.From == "" || rev >= r.From) && (r.To == "" || rev <= r.To)
}

// Cite returns the section and URL of the rule for rev (the oldest revision
// the rule applies to when rev is "").
func (r *Rule) Cite(rev string) (section, url string) {
	if rev == "" || !isRevision(rev) {
		rev = r.From
		if rev == "" {
			rev = rev20241105
		}
	}
	section, path := r.cite(rev)
	return section, "https://modelcontextprotocol.io/specification/" + rev + "/" + path
}

// isRevision reports whether v looks like a revision (YYYY-MM-DD).
func isRevision(v string) bool {
	if len(v) != 10 || v[4] != '-' || v[7] != '-' {
		return false
	}
	return strings.Trim(v[:4]+v[5:7]+v[8:], "0123456789") == ""
}

// modern reports whether rev is 2026-07-28 or later (sessionless, MRTR).
func modern(rev string) bool { return isRevision(rev) && rev >= rev20260728 }
