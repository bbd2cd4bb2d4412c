package proxy

import (
	"github.com/mcpscope/mcpscope/jsonrpc"

	"strings"
	"time"
	"unsafe"

	"github.com/mcpscope/mcpscope/filter"
)

// Type names the kind of an Observation. The names are part of the
// headless output and the recording format.
type Type string

const (
	TypeHTTP         Type = "http"          // one HTTP exchange with the upstream, once its response headers are in (or it failed)
	TypeMessage      Type = "message"       // one JSON-RPC message, in a POST body, a JSON response or an SSE event
	TypeSSEEvent     Type = "sse_event"     // one block of an SSE stream
	TypeStreamOpened Type = "stream_opened" // an SSE stream started forwarding
	TypeStreamClosed Type = "stream_closed" // an SSE stream ended (Reason says why)
	TypeDecision     Type = "decision"      // the outcome of a breakpoint (other decisions ride on their message's observation)
	TypeRules        Type = "rules"         // the rules file was reloaded, or a bad edit refused (Reason says which)
	TypeNotice       Type = "notice"        // something the user should know (Reason), e.g. that recording stopped
	TypeSession      Type = "session"       // a session was created, re-initialized, closed, or named unknown (Reason)
	TypeGate         Type = "gate"          // a pause gate changed: a user paused, resumed or stepped, or a stream stopped at or left its gate
	TypeDropped      Type = "dropped"       // this subscriber missed Dropped observations
	TypeFinding      Type = "finding"       // a protocol check failed (Finding says which rule, about which observation; see checks/)
	TypeOAuth        Type = "oauth"         // a step of an OAuth handshake through mcpscope: a challenge, a protected-resource metadata document (OAuth says what was rewritten)
)

// Direction says which way a message travelled.
type Direction string

const (
	ClientToServer Direction = "client_to_server"
	ServerToClient Direction = "server_to_client"
)

// MessageKind classifies a JSON-RPC message (jsonrpc.Kind).
type MessageKind = jsonrpc.Kind

const (
	KindRequest      = jsonrpc.Request
	KindNotification = jsonrpc.Notification
	KindResult       = jsonrpc.Result
	KindError        = jsonrpc.Error
	KindInvalid      = jsonrpc.Invalid // not a JSON-RPC message (invalid JSON, or no method/result/error)
)

// Observation is one thing the proxy saw. It is immutable once published;
// subscribers share it and must not modify it.
//
// The fields common to every type come first; the others are set where they
// apply and omitted from JSON otherwise.
type Observation struct {
	Seq     uint64    `json:"seq"`
	Type    Type      `json:"type"`
	Time    time.Time `json:"time"`
	Session string    `json:"session,omitempty"` // the session the traffic belongs to (see Proxy doc)
	Stream  string    `json:"stream,omitempty"`  // the SSE stream, for stream and event observations and messages carried by one
	// Exchange names the HTTP request/response pair the observation belongs
	// to: the http observation, the messages of its body and answer, and the
	// stream that answered it.
	Exchange string `json:"exchange,omitempty"`
	// UpstreamSession is the upstream's id of Session, on session
	// observations.
	UpstreamSession string `json:"upstream_session,omitempty"`

	// Messages.
	Direction  Direction     `json:"direction,omitempty"`
	Kind       MessageKind   `json:"kind,omitempty"`
	Method     string        `json:"method,omitempty"`      // for results and errors: the method of the request answered
	ID         RawJSON       `json:"id,omitempty"`          // the JSON-RPC id, exactly as sent (keeps its JSON type)
	RequestSeq uint64        `json:"request_seq,omitempty"` // for results and errors: Seq of the request answered
	Latency    time.Duration `json:"latency_ns,omitempty"`  // for results and errors: time since that request
	Body       string        `json:"body,omitempty"`        // the message JSON as sent (for a batch: this element)
	Batch      int           `json:"batch,omitempty"`       // size of the batch the message came in, if any
	// Tool is the tool a tools/call exchange calls, on every message of it:
	// the request, its answer and its progress notifications (at most
	// maxToolName bytes; see operations.go).
	Tool string `json:"tool,omitempty"`
	// ResentFrom is, on the messages and exchange of a request mcpscope
	// re-sent (flag "resent", see resend.go), the Seq of the request it
	// re-sent (0 when the re-send named none).
	ResentFrom uint64 `json:"resent_from,omitempty"`

	// Operations (see operations.go): the messages of one operation that
	// spans requests (MRTR rounds, a task and its polling) share Operation;
	// Round counts its requests; ThinkTime, on an MRTR retry, is the time
	// since the previous round's answer.
	Operation string        `json:"operation,omitempty"`
	Round     int           `json:"round,omitempty"`
	ThinkTime time.Duration `json:"think_ns,omitempty"`

	// SSE events.
	EventID   string        `json:"event_id,omitempty"`
	MintedID  string        `json:"minted_id,omitempty"` // the id the client got instead (the proxy mints ids where it must; see resume)
	HasID     bool          `json:"has_id,omitempty"`
	EventType string        `json:"event_type,omitempty"`
	Retry     int64         `json:"retry,omitempty"`
	Size      int           `json:"size,omitempty"` // bytes of the block (or fragment) on the wire; on a session flagged initialize_not_kept, of that initialize
	Gap       time.Duration `json:"gap_ns,omitempty"`
	Raw       string        `json:"raw,omitempty"` // the block's bytes as forwarded

	// HTTP exchanges and streams.
	HTTP       *HTTPExchange `json:"http,omitempty"`
	StreamKind StreamKind    `json:"stream_kind,omitempty"`
	Gate       *GateChange   `json:"gate,omitempty"`
	Decision   *Decision     `json:"decision,omitempty"` // what the rules did to this message
	Reason     string        `json:"reason,omitempty"`   // why a stream closed
	Events     int64         `json:"events,omitempty"`   // on stream_closed: blocks forwarded
	Bytes      int64         `json:"bytes,omitempty"`    // on stream_closed: bytes forwarded

	// Flags mark what is unusual: "invalid_json", "oversized", "partial",
	// "incomplete", "comment", "rewritten", "no_dispatch", "by_mcpscope" (a
	// message mcpscope sent the server in the client's place),
	// "initialize_not_kept" (FlagInitializeNotKept), "resent" (FlagResent).
	Flags []string `json:"flags,omitempty"`

	Dropped int64 `json:"dropped,omitempty"` // on dropped: how many this subscriber missed

	Finding *Finding `json:"finding,omitempty"` // on finding: the rule broken, its citation, and the observation it is about

	OAuth *OAuthStep `json:"oauth,omitempty"` // on oauth: the step, and the URL mcpscope rewrote (see oauth.go)

	opKey string // an MRTR-able request's fingerprint, passed to its answer (operations.go)

	// lease is set when the strings above borrow a read buffer's bytes
	// (Raw, Body, Method, ID, EventID, EventType may); see
	// Subscription.NextBorrowed for who may read them when.
	lease *lease
	// revision is the protocol revision of the exchange the message
	// travels in, when known: what the answers rules make must fit.
	revision string
	// pool is set on an observation the bus recycles once the last of its
	// holders lets go: what counts them (see observation_pool.go).
	pool *pooledObservation
}

// HTTPExchange describes one request forwarded upstream and its response.
type HTTPExchange struct {
	Method          string              `json:"method"`
	URL             string              `json:"url"` // the upstream URL
	Status          int                 `json:"status,omitempty"`
	ContentType     string              `json:"content_type,omitempty"`
	RequestHeaders  map[string][]string `json:"request_headers,omitempty"`
	ResponseHeaders map[string][]string `json:"response_headers,omitempty"`
	RequestBody     int                 `json:"request_body_bytes"`
	Started         time.Time           `json:"started"`
	HeaderLatency   time.Duration       `json:"header_latency_ns"`          // until the upstream's response headers
	Error           string              `json:"error,omitempty"`            // why the exchange failed, naming the side
	Revision        string              `json:"revision,omitempty"`         // the protocol revision the request speaks (its header, _meta, or session's)
	NewSession      string              `json:"new_session,omitempty"`      // the proxy session created for the upstream's new one (initialize)
	UpstreamSession string              `json:"upstream_session,omitempty"` // the upstream's id of that session
}

// FlagFinding marks a finding observation, so that the filter flag:finding
// selects findings (and, in the UI, the rows they are about).
const FlagFinding = "finding"

// Finding is what a protocol check (package checks) found wrong with one
// observation: the rule it breaks, cited by revision and section.
type Finding struct {
	Rule     string `json:"rule"`               // the check's id, e.g. "answer-unknown-id"
	Level    string `json:"level"`              // "error" (the spec says MUST) or "warning" (SHOULD, or a bound mcpscope sets)
	Revision string `json:"revision,omitempty"` // the protocol revision checked against ("" when the rule holds in all)
	Section  string `json:"section"`            // the spec section the rule is stated in
	URL      string `json:"url"`                // that section on modelcontextprotocol.io
	Message  string `json:"message"`            // what was wrong, naming ids, methods, tokens
	About    uint64 `json:"about,omitempty"`    // Seq of the observation the finding is about
}

// StreamKind says what opened an SSE stream.
type StreamKind string

const (
	StreamPOST   StreamKind = "post"   // the response to a POST (Streamable HTTP)
	StreamGET    StreamKind = "get"    // the standalone server stream (Streamable HTTP GET)
	StreamLegacy StreamKind = "legacy" // the GET /sse stream of the 2024-11-05 HTTP+SSE transport
	StreamStdio  StreamKind = "stdio"  // a stdio server's output, one message per line (a Link)
)

// Footprint estimates the memory an observation holds, for byte bounds:
// the struct and the strings that can be large (Raw, Body, a decision's
// message before and after, an exchange's headers, a reason). Body is
// counted only when its bytes are not part of Raw's (a single-line SSE
// event's message shares the event's memory). It is cheap: no string is
// scanned.
func (o *Observation) Footprint() int {
	n := observationOverhead + len(o.Raw) + len(o.Reason)
	if !within(o.Raw, o.Body) {
		n += len(o.Body)
	}
	if d := o.Decision; d != nil {
		n += 96 + len(d.Before) + len(d.After) + len(d.Note)
	}
	if f := o.Finding; f != nil {
		n += 128 + len(f.Message) + len(f.URL)
	}
	if a := o.OAuth; a != nil {
		n += 128 + len(a.URL) + len(a.Challenge) + len(a.Original) + len(a.Rewritten) + len(a.Note)
	}
	if h := o.HTTP; h != nil {
		n += 224 + len(h.URL) + len(h.Error) + headersFootprint(h.RequestHeaders) + headersFootprint(h.ResponseHeaders)
	}
	return n
}

// observationOverhead is what an Observation holds besides its long
// strings: the struct (about 480 bytes) and its short fields.
const observationOverhead = 496

// headersFootprint estimates the memory of a header map.
func headersFootprint(h map[string][]string) int {
	n := 0
	for k, vs := range h {
		n += 48 + len(k)
		for _, v := range vs {
			n += 16 + len(v)
		}
	}
	return n
}

// owned returns o itself when none of its strings borrow and it is not
// pooled, else a copy the observer may keep: its strings the observer's
// own (Raw copied once, and the fields that lie in it pointing into the
// copy).
func (o *Observation) owned() *Observation {
	if o.lease == nil && o.pool == nil {
		return o
	}
	c := *o
	c.lease, c.pool = nil, nil
	if o.lease == nil {
		return &c // a pooled observation whose strings are its own
	}
	c.Raw = strings.Clone(o.Raw)
	own := func(s string) string {
		if s != "" && within(o.Raw, s) {
			off := int(uintptr(unsafe.Pointer(unsafe.StringData(s))) - uintptr(unsafe.Pointer(unsafe.StringData(o.Raw))))
			return c.Raw[off : off+len(s)]
		}
		return strings.Clone(s)
	}
	c.Body, c.Method, c.EventID, c.EventType = own(o.Body), own(o.Method), own(o.EventID), own(o.EventType)
	c.ID = RawJSON(own(string(o.ID)))
	return &c
}

// within reports whether inner's bytes lie in outer's memory.
func within(outer, inner string) bool {
	if inner == "" || len(inner) > len(outer) {
		return inner == ""
	}
	o, i := uintptr(unsafe.Pointer(unsafe.StringData(outer))), uintptr(unsafe.Pointer(unsafe.StringData(inner)))
	return i >= o && i-o <= uintptr(len(outer)-len(inner))
}

// Has reports whether the observation carries the flag.
func (o *Observation) Has(flag string) bool {
	for _, f := range o.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// RawJSON is JSON text kept as it was sent, such as a JSON-RPC id: 1 and
// "1" stay different. It is a string so that it can share the memory of the
// message it was read from.
type RawJSON string

// MarshalJSON writes the text as it is (null when empty).
func (r RawJSON) MarshalJSON() ([]byte, error) {
	if r == "" {
		return []byte("null"), nil
	}
	return []byte(r), nil
}

// UnmarshalJSON keeps the JSON text as it is.
func (r *RawJSON) UnmarshalJSON(b []byte) error {
	*r = RawJSON(b)
	return nil
}

// Subject describes the observation for the filter language.
func (o *Observation) Subject() filter.Subject {
	s := filter.Subject{Direction: string(o.Direction), Kind: string(o.Kind), Method: o.Method, ID: string(o.ID),
		Session: o.Session, Stream: o.Stream, Operation: o.Operation, EventType: o.EventType, Flags: o.Flags, Body: o.Body,
		Tool: o.Tool}
	if o.HTTP != nil {
		s.Status = o.HTTP.Status
	}
	return s
}

// RuleSubject is Subject as the rules see it: without Tool, so a rule's
// tool:NAME matches the tools/call request only (read from its body), as
// it always did, and does not also hold, block or edit the call's answer
// and progress. The view filter (Subject) matches them all.
func (o *Observation) RuleSubject() filter.Subject {
	s := o.Subject()
	s.Tool = ""
	return s
}
