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

	"mcpscope/rules"
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
	mu   sync.Mutex
	seq  uint64
	byID map[string]*heldMessage
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
	p.held.byID[h.info.ID] = h
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
