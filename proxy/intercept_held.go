package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/mcpscope/mcpscope/rules"
)

// Breakpoints. A message matched by a breakpoint rule is held in the
// engine until the user resumes it (maybe edited), drops it, or answers it
// with an error, or until the rule's timeout applies its on_timeout
// outcome. A held client request holds its HTTP request; a held
// server→client event holds its stream (which stops reading the upstream,
// as a pause does).

// ErrUnknownHeld is returned for a held message id that is not held (any
// more).
var ErrUnknownHeld = errors.New("no such held message")

// HeldInfo describes a held message for the control methods.
type HeldInfo struct {
	ID        string        `json:"id"`
	Rule      string        `json:"rule"`
	Since     time.Time     `json:"since"`
	Timeout   time.Duration `json:"timeout_ns,omitempty"`
	OnTimeout string        `json:"on_timeout,omitempty"`
	Session   string        `json:"session,omitempty"`
	Stream    string        `json:"stream,omitempty"`
	Direction Direction     `json:"direction"`
	Method    string        `json:"method,omitempty"`
	MessageID RawJSON       `json:"message_id,omitempty"`
	Message   string        `json:"message"`
	Seq       uint64        `json:"seq"` // the held message's observation
}

type heldMessage struct {
	info    HeldInfo
	resolve chan resolution // receives the user's decision (capacity 1)
}

type resolution struct {
	action string // "resume", "drop" or "error"
	edited string // resume with this message instead
	by     string
}

// heldSet is the engine's held messages.
type heldSet struct {
	mu      sync.Mutex
	seq     uint64
	byID    map[string]*heldMessage
	stopped string // set by StopHolding: who stopped it; nothing is held from then on
}

// hold publishes o (marked held), waits for a resolution, publishes the
// outcome as a decision observation, and returns what to do with the
// message. beforeWait, if not nil, runs first (a stream flushes what it
// has written and hands over its observations, which so come before o's).
func (p *Proxy) hold(ctx context.Context, o *Observation, text string, r *rules.Rule, beforeWait func()) outcome {
	if beforeWait != nil {
		beforeWait()
	}
	h := &heldMessage{resolve: make(chan resolution, 1)}
	p.held.mu.Lock()
	p.held.seq++
	h.info = HeldInfo{ID: "h-" + strconv.FormatUint(p.held.seq, 10), Rule: r.Name, Since: time.Now(), Timeout: r.Timeout,
		OnTimeout: r.OnTimeout, Session: o.Session, Stream: o.Stream, Direction: o.Direction, Method: o.Method, MessageID: o.ID, Message: text}
	o.Decision.Note = "held at breakpoint " + h.info.ID
	p.bus().Publish(o)
	h.info.Seq = o.Seq
	if p.held.byID == nil {
		p.held.byID = make(map[string]*heldMessage)
	}
	if by := p.held.stopped; by != "" { // shutting down: decided at once, as StopHolding decided the others
		h.resolve <- resolution{action: actionStopped, by: by}
	} else {
		p.held.byID[h.info.ID] = h
	}
	p.held.mu.Unlock()

	var expired <-chan time.Time
	if r.Timeout > 0 {
		t := time.NewTimer(r.Timeout)
		defer t.Stop()
		expired = t.C
	}
	var res resolution
	select {
	case res = <-h.resolve:
	case <-expired:
		res = resolution{action: r.OnTimeout, by: "timeout"}
	case <-ctx.Done():
		res = resolution{action: "drop", by: "client gone"}
	}
	p.held.mu.Lock()
	delete(p.held.byID, h.info.ID)
	p.held.mu.Unlock()

	out := outcome{text: text, published: true}
	switch res.action {
	case "resume":
		if res.edited != "" {
			out.text = res.edited
		}
	case actionStopped:
		switch {
		case o.Direction == ClientToServer && o.Kind == KindRequest:
			out.answer = stoppedAnswer(o.ID)
		case o.Direction == ServerToClient && o.Kind == KindRequest: // the server waits for an answer
			out.reply, out.drop = stoppedAnswer(o.ID), true
		} // anything else goes on as it was
	case "error":
		modern := modernRevision(o.revision)
		if !answerInstead(o, &out, r.ErrorAnswerFor(string(o.ID), modern)) {
			out.drop = true
		} else if out.answer != "" {
			out.status = r.ErrorStatusFor(modern)
		}
	default:
		out.drop = true
	}
	d := &Decision{Rules: o.Decision.Rules, Action: string(rules.Breakpoint), Note: h.info.ID + ": " + res.action + " by " + res.by}
	if out.text != text {
		d.Before, d.After = text, out.text
		if o.Direction == ClientToServer {
			d.Note = joinNote(d.Note, p.staleHeaderNote(ctx, text, out.text))
		}
	}
	if out.answer != "" || out.reply != "" {
		d.After = out.answer + out.reply
	}
	p.bus().Publish(&Observation{Type: TypeDecision, Session: o.Session, Stream: o.Stream, Exchange: o.Exchange, Direction: o.Direction, Kind: o.Kind,
		Method: o.Method, ID: o.ID, RequestSeq: o.Seq, Decision: d})
	return out
}

// Held lists the held messages, oldest first.
func (p *Proxy) Held() []HeldInfo {
	p.held.mu.Lock()
	defer p.held.mu.Unlock()
	out := make([]HeldInfo, 0, len(p.held.byID))
	for _, h := range p.held.byID {
		out = append(out, h.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out
}

// ResumeHeld lets a held message go on; edited, if not empty, replaces it
// and must be a JSON object.
func (p *Proxy) ResumeHeld(id, edited, by string) error {
	if edited != "" {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(edited), &obj); err != nil {
			return fmt.Errorf("the edited message is not a JSON object: %w", err)
		}
	}
	return p.resolveHeld(id, resolution{action: "resume", edited: edited, by: by})
}

// DropHeld forwards nothing of a held message.
func (p *Proxy) DropHeld(id, by string) error {
	return p.resolveHeld(id, resolution{action: "drop", by: by})
}

// FailHeld answers a held request (or replaces a held answer) with the
// breakpoint rule's error. A held server→client request never reaches the
// client: the error goes to the server in its session, as the client would
// send it.
func (p *Proxy) FailHeld(id, by string) error {
	return p.resolveHeld(id, resolution{action: "error", by: by})
}

// actionStopped is the resolution StopHolding gives every held message.
const actionStopped = "stopped"

// StoppedCode is the JSON-RPC error code of the answer StopHolding gives
// a held request.
const StoppedCode = -32000

// StoppedMessage is the message of the answer StopHolding gives a held
// request.
const StoppedMessage = "mcpscope stopped while this request was held at a breakpoint"

// stoppedAnswer is the error answer to a held request with id when
// mcpscope stops.
func stoppedAnswer(id RawJSON) string {
	ids := string(id)
	if ids == "" {
		ids = "null"
	}
	return `{"jsonrpc":"2.0","id":` + ids + `,"error":{"code":` + strconv.Itoa(StoppedCode) + `,"message":"` + StoppedMessage + `"}}`
}

// StopHolding is for a shutdown, before the listener closes: it resolves
// every held message and every one a breakpoint would hold from now on.
// A held client request is answered with a JSON-RPC error of the same id
// (StoppedCode, StoppedMessage), so the client sees why its call failed
// rather than a broken connection; a held server→client request is
// answered the same way, to the server, in the client's place; any other
// held message (an answer, a notification) goes on unchanged. by names who
// stopped, in the decisions. It returns how many were held.
func (p *Proxy) StopHolding(by string) int {
	if by == "" {
		by = "shutdown"
	}
	p.held.mu.Lock()
	p.held.stopped = by
	held := make([]*heldMessage, 0, len(p.held.byID))
	for id, h := range p.held.byID {
		held = append(held, h)
		delete(p.held.byID, id)
	}
	p.held.mu.Unlock()
	for _, h := range held {
		h.resolve <- resolution{action: actionStopped, by: by}
	}
	return len(held)
}

func (p *Proxy) resolveHeld(id string, res resolution) error {
	p.held.mu.Lock()
	h := p.held.byID[id]
	if h != nil {
		delete(p.held.byID, id) // resolved once: a second call finds nothing
	}
	p.held.mu.Unlock()
	if h == nil {
		return fmt.Errorf("%w: %q", ErrUnknownHeld, id)
	}
	h.resolve <- res
	return nil
}
