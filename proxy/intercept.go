package proxy

import (
	"github.com/mcpscope/mcpscope/jsonrpc"

	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/rules"
)

// Decision records what the rules did to a message; it rides on the
// message's observation (which is then must-deliver on the bus).
type Decision struct {
	Rules  []string `json:"rules"`            // every rule that matched, in order; the last one decided
	Action string   `json:"action"`           // what the deciding rule did
	Before string   `json:"before,omitempty"` // the message as it arrived, when the rule changed it
	After  string   `json:"after,omitempty"`  // the message as forwarded, when the rule changed it
	Note   string   `json:"note,omitempty"`   // more on the outcome (a breakpoint's resolution, why an action did not apply)
}

// SetRules replaces the rules in force (nil for none). Safe at any time:
// each message is judged by the set in force when it arrives.
func (p *Proxy) SetRules(set *rules.Set) {
	p.rules.Store(set)
	p.rulesSet.signal()
}

// ReloadRules puts a new set in force and says so on the bus (reason
// describes the change); with a nil set and an error it keeps the rules in
// force and publishes why the new ones were refused.
func (p *Proxy) ReloadRules(set *rules.Set, err error) {
	o := &Observation{Type: TypeRules}
	if err != nil {
		o.Reason = "kept the rules in force: " + strings.ReplaceAll(err.Error(), "\n", "; ") // one line: rules.Parse lists every error
		o.Flags = []string{"error"}
	} else {
		p.SetRules(set)
		o.Reason = fmt.Sprintf("loaded %s from %s", plural.Count(len(set.Rules), "rule"), set.Source)
	}
	p.bus().Publish(o)
}

// Notice publishes something the user should know (shown by the UI,
// printed in headless output).
func (p *Proxy) Notice(text string) {
	p.bus().Publish(&Observation{Type: TypeNotice, Reason: text})
}

// Rules returns the rules in force.
func (p *Proxy) Rules() *rules.Set { return p.rules.Load() }

// outcome is what the rules decided for one message.
type outcome struct {
	text   string        // the message to forward (changed by modify, block or mock on the way to the client)
	drop   bool          // forward nothing
	answer string        // client→server: answer the client with this instead of forwarding
	reply  string        // server→client request: answer the server with this, as the client would (see replyUpstream)
	status int           // the HTTP status for answer (0: 200)
	delay  time.Duration // wait this long before forwarding
	rule   *rules.Rule   // the deciding rule, for stream faults (cut, malformed, inject)

	published bool // the observation is already out (a breakpoint publishes it before waiting)
}

// judge applies the rules to one message whose observation o is described
// but not yet published. It records the decision on o and returns what to
// do. A breakpoint waits here until the user acts or its timeout (5 minutes
// unless the rule says otherwise; rules.DefaultBreakpointTimeout) applies
// on_timeout, or ctx ends; beforeWait (if not nil) runs first. A reply
// mcpscope sends in the client's place (isReply(ctx)) is not judged.
func (p *Proxy) judge(ctx context.Context, o *Observation, text string, inBatch bool, beforeWait func()) outcome {
	out := outcome{text: text}
	set := p.rules.Load()
	if set == nil || isReply(ctx) || isObserved(ctx) { // mcpscope's own reply, or a line already forwarded, is not judged
		return out
	}
	subject := o.RuleSubject()
	matched := set.Match(&subject)
	if len(matched) == 0 {
		return out
	}
	if o.lease != nil {
		// A rule acts: decisions, held messages and their observations
		// keep the message past the stream's read, so they get their own
		// copy of what borrowed the read buffer.
		owned := o.owned()
		if text == o.Body {
			text = owned.Body
		} else {
			text = strings.Clone(text)
		}
		*o, out.text = *owned, text
	}
	names := make([]string, len(matched))
	for i, r := range matched {
		names[i] = r.Name
	}
	r := matched[len(matched)-1]
	d := &Decision{Rules: names, Action: string(r.Action)}
	o.Decision = d
	if inBatch && r.Action != rules.Modify && r.Action != rules.Delay && r.Action != rules.Continue {
		d.Note = "not applied: the message is part of a batch"
		return out
	}
	toServer := o.Direction == ClientToServer
	switch r.Action {
	case rules.Modify:
		changed, err := r.Modify(text)
		if err != nil {
			d.Note = "not applied: " + err.Error()
			break
		}
		out.text = changed
	case rules.Delay:
		out.delay = r.Delay
	case rules.Block:
		modern := modernRevision(o.revision) // the answer fits the revision (rules/answer_revision.go)
		switch {
		case !answerInstead(o, &out, r.ErrorAnswerFor(string(o.ID), modern)):
			out.drop = true
			d.Note = "blocked a message that is not a request or an answer: dropped"
		case out.answer != "":
			out.status = r.ErrorStatusFor(modern)
		}
	case rules.Mock:
		if !answerInstead(o, &out, r.MockAnswerFor(string(o.ID), o.Method, modernRevision(o.revision))) {
			d.Note = "not applied: mock answers requests (or replaces answers); this message is neither"
		}
	case rules.Drop:
		out.drop = true
	case rules.Breakpoint:
		out = p.hold(ctx, o, text, r, beforeWait)
	case rules.Cut, rules.Malformed, rules.Inject:
		if toServer || o.Type != TypeSSEEvent {
			d.Note = "not applied: " + string(r.Action) + " acts on server→client SSE events"
			break
		}
		out.rule = r
	}
	if out.text != text && !out.published {
		d.Before, d.After = text, out.text
		o.Body = out.text
		if toServer {
			d.Note = joinNote(d.Note, p.staleHeaderNote(ctx, text, out.text))
		}
	}
	if out.reply != "" && !out.published {
		d.After, d.Note = out.reply, "answered the server in the client's place; the client never sees the request"
	}
	return out
}

// answerInstead makes out answer the message o with answer (a rule's
// error or mock answer) in place of the other side: a client's request is
// answered to the client and not forwarded, an answer to the client is
// replaced, and a server's request is answered to the server in the
// client's place (see replyUpstream) and never reaches the client. It
// returns false, leaving out as it was, for a message that is neither a
// request nor an answer (a notification).
func answerInstead(o *Observation, out *outcome, answer string) bool {
	toServer := o.Direction == ClientToServer
	switch {
	case toServer && o.Kind == KindRequest:
		out.answer = answer
	case !toServer && (o.Kind == KindResult || o.Kind == KindError):
		out.text = answer
	case !toServer && o.Kind == KindRequest:
		out.reply, out.drop = answer, true // the server waits for an answer
	default:
		return false
	}
	return true
}

// place says where messages travel, for their observations: the session
// (also the correlation scope), the stream that carries them (a stdio
// link's), the HTTP exchange (for HTTP), and the protocol revision the
// exchange speaks (revision.go), for the answers rules make.
type place struct {
	scope, stream, exchange, revision string
	seen                              time.Time // when the transport read the text; zero: when it is published
}

// interceptBody judges and publishes every message of a body: a client's
// POST body or a JSON response. It returns the body to forward (changed if a
// rule changed or dropped a message; "" when every message was dropped),
// the id of the first message, and, for a client message, what to answer
// instead of forwarding (zero when it is forwarded).
func (p *Proxy) interceptBody(ctx context.Context, text string, at place, dir Direction) (body, firstID string, local outcome) {
	return p.intercept(ctx, text, at, dir)
}

// intercept is the part of the data path every transport shares, for a
// text of one JSON-RPC message or a batch travelling in direction dir:
// each message is described, judged by the rules (a breakpoint waits
// here), published and noted for its answer. It returns what interceptBody
// does, and in local.reply the answers a rule gave to server→client
// requests in the client's place, to send the server (such a request is
// not forwarded).
func (p *Proxy) intercept(ctx context.Context, text string, at place, dir Direction) (body, firstID string, local outcome) {
	scope := at.scope
	msgs, batch, ok := jsonrpc.Split(text)
	var delay time.Duration
	changed := false
	kept := msgs[:0:0]
	for i, m := range msgs {
		o := &Observation{Type: TypeMessage, Time: at.seen, Session: scope, Stream: at.stream, Exchange: at.exchange, Direction: dir, Batch: batch, revision: at.revision}
		env := p.describeMessage(o, m, scope, ok)
		if dir == ClientToServer && isReply(ctx) {
			o.Flags = append(o.Flags, "by_mcpscope")
		}
		if m := resendOf(ctx); m.on { // the re-send, and the messages of its JSON answer
			markResent(o, m.from)
		}
		if i == 0 {
			firstID = env.ID
		}
		out := p.judge(ctx, o, m, batch > 0, nil)
		if !out.published {
			p.bus().Publish(o)
		}
		if out.text != m && !out.drop {
			env = jsonrpc.Read(out.text) // edited or modified: its answer answers what was forwarded
		}
		p.noteRequest(o, env, scope)
		delay = max(delay, out.delay)
		switch {
		case out.reply != "":
			local.reply = joinLines(local.reply, out.reply)
			changed = true
		case out.answer != "":
			local = out
		case out.drop && batch == 0 && dir == ClientToServer:
			local = out
			local.status = -1 // a request is left unanswered
			if o.Kind != KindRequest {
				local.status = http.StatusAccepted
			}
		case out.drop:
			changed = true
		default:
			changed = changed || out.text != m
			kept = append(kept, out.text)
		}
	}
	body = text
	switch {
	case !changed:
	case batch > 0 && len(kept) > 0:
		body = "[" + strings.Join(kept, ",") + "]"
	case len(kept) == 1:
		body = kept[0]
	default:
		body = ""
	}
	if delay > 0 {
		sleep(ctx, delay)
	}
	return body, firstID, local
}

// joinLines appends line to lines, one per line.
func joinLines(lines, line string) string {
	if lines == "" {
		return line
	}
	return lines + "\n" + line
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// answerLocally answers a client request the rules decided on without the
// upstream: an error or mock answer, 202 for a dropped notification, or no
// answer at all for a dropped request (the client waits until it gives up,
// as it would for a message lost on the way).
func (p *Proxy) answerLocally(w http.ResponseWriter, r *http.Request, ex *exchange) {
	switch {
	case ex.local.answer != "":
		status := ex.local.status
		if status == 0 {
			status = http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, ex.local.answer)
		if (status == http.StatusOK || modernRevision(ex.revision)) && p.bus().Active() { // from 2026-07-28 on, every error status carries the JSON-RPC answer
			p.publishMessages(ex.local.answer, ex.scope, "", ex.id, ServerToClient, []string{"local"})
		}
	case ex.local.status == http.StatusAccepted:
		w.WriteHeader(http.StatusAccepted)
	default:
		<-r.Context().Done()
	}
}
