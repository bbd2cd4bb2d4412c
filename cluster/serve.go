package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// receive reads the subscription until Close: requests are answered one at
// a time, in order (a flood waits in Redis, which cuts a subscriber that
// falls too far behind, and go-redis then reconnects), replies are handed
// to the request waiting for them.
func (p *Peers) receive() {
	defer p.wg.Done()
	for {
		msg, err := p.ps.ReceiveMessage(p.ctx)
		if err != nil {
			if p.ctx.Err() != nil {
				return
			}
			select { // Redis down: go-redis reconnects and subscribes again at the next call
			case <-p.ctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
			}
			continue
		}
		m, ok := decode(msg.Payload, p.maxMessage)
		if !ok {
			p.refused.Add(1)
			p.log.Warn("cross-instance control: refused a message", "channel", msg.Channel, "bytes", len(msg.Payload))
			continue
		}
		switch {
		case m.From == p.id: // our own request, on the channel for everyone
		case m.Kind == "rep" && m.To == p.id:
			p.deliver(m)
		case m.Kind == "req" && (m.To == "" || m.To == p.id):
			p.answer(m)
		}
	}
}

// answer does what a peer asks and publishes the reply on the peer's
// channel.
func (p *Peers) answer(m message) {
	rep := message{V: wireVersion, Kind: "rep", Corr: m.Corr, From: p.id, To: m.From, Op: m.Op, ID: m.ID}
	switch m.Op {
	case "list/streams":
		rep.Streams = p.local.Streams()
	case "list/sessions":
		rep.Sessions = p.local.Sessions()
	default:
		act := p.localAct(m.Op)
		if act == nil {
			rep.Result, rep.Error = "failed", "no such operation: "+m.Op
			break
		}
		rep.Result, rep.Error = resultOf(act(m.ID, m.By))
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
	defer cancel()
	if err := p.client.Publish(ctx, p.channel(m.From), encode(rep, p.maxMessage)).Err(); err != nil && p.ctx.Err() == nil {
		p.log.Warn("cross-instance control: replying", "to", m.From, "err", err)
	}
}

// localAct returns the local engine's method for op, or nil.
func (p *Peers) localAct(op string) func(id, by string) error {
	switch op {
	case "streams/pause":
		return p.local.PauseStream
	case "streams/resume":
		return p.local.ResumeStream
	case "streams/step":
		return p.local.StepStream
	case "sessions/pause":
		return p.local.PauseSession
	case "sessions/resume":
		return p.local.ResumeSession
	}
	return nil
}

// resultOf turns the local engine's error into a reply's result.
func resultOf(err error) (result, message string) {
	switch {
	case err == nil:
		return "ok", ""
	case errors.Is(err, proxy.ErrUnknownStream), errors.Is(err, proxy.ErrUnknownSession):
		return "unknown", err.Error()
	case errors.Is(err, proxy.ErrNotPaused):
		return "not-paused", err.Error()
	case errors.Is(err, proxy.ErrStillPaused):
		return "still-paused", err.Error()
	}
	return "failed", err.Error()
}

// errorOf turns a reply's result back into the error the carrying
// instance's engine returned, wrapping the same sentinel errors so callers
// tell them apart as for local ones.
func errorOf(m message) error {
	switch m.Result {
	case "ok":
		return nil
	case "unknown":
		if m.Op == "sessions/pause" || m.Op == "sessions/resume" {
			return &remoteError{m.From, m.Error, proxy.ErrUnknownSession}
		}
		return &remoteError{m.From, m.Error, proxy.ErrUnknownStream}
	case "not-paused":
		return &remoteError{m.From, m.Error, proxy.ErrNotPaused}
	case "still-paused":
		return &remoteError{m.From, m.Error, proxy.ErrStillPaused}
	}
	return &remoteError{m.From, m.Error, nil}
}

// remoteError is an error another instance answered.
type remoteError struct {
	instance, message string
	is                error
}

func (e *remoteError) Error() string { return "instance " + e.instance + ": " + e.message }
func (e *remoteError) Unwrap() error { return e.is }
