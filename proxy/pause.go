package proxy

import (
	"fmt"
	"time"
)

// The engine's control methods, used by the TUI and the control API. They
// are safe for concurrent use. by names who acted ("tui", "api", ...); it
// is shown with the pause and published with the change.

// ErrStillPaused is returned by ResumeStream when the stream's own pause
// was lifted but its session's or the global pause still holds it.
var ErrStillPaused = fmt.Errorf("stream resumed, but a wider pause still holds it")

// Streams lists the open SSE streams, oldest first.
func (p *Proxy) Streams() []StreamInfo { return p.gates.listStreams() }

// Sessions lists the sessions the proxy has seen (the most recent few
// thousand), oldest first.
func (p *Proxy) Sessions() []SessionInfo { return p.gates.listSessions() }

// PauseStream closes one stream's gate.
func (p *Proxy) PauseStream(id, by string) error {
	return p.onStream(id, "pause", by, func(s *streamGate) error {
		if s.own == nil {
			s.own = &Pause{By: by, Since: time.Now()}
		}
		return nil
	})
}

// ResumeStream lifts one stream's own pause and cancels its pending steps.
// It returns ErrStillPaused if its session or everything is still paused.
func (p *Proxy) ResumeStream(id, by string) error {
	return p.onStream(id, "resume", by, func(s *streamGate) error {
		s.own, s.steps = nil, 0
		if pause, _ := p.gates.pauseOf(s); pause != nil {
			return ErrStillPaused
		}
		return nil
	})
}

// StepStream lets exactly one more event of a paused stream through.
func (p *Proxy) StepStream(id, by string) error {
	return p.onStream(id, "step", by, func(s *streamGate) error {
		if pause, _ := p.gates.pauseOf(s); pause == nil {
			return ErrNotPaused
		}
		s.steps++
		return nil
	})
}

// onStream applies change to the stream's gate under the gates' lock,
// wakes the stream, and publishes the act.
func (p *Proxy) onStream(id, action, by string, change func(*streamGate) error) error {
	g := &p.gates
	g.mu.Lock()
	s := g.streams[id]
	if s == nil {
		g.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrUnknownStream, id)
	}
	defer g.mu.Unlock()
	err := change(s)
	if err == nil || err == ErrStillPaused {
		p.publishGate(s.session, id, GateChange{Action: action, Scope: "stream", By: by})
	}
	g.update(s)
	return err
}

// PauseSession closes the gates of every stream of a session, including
// streams it opens later.
func (p *Proxy) PauseSession(id, by string) error {
	return p.onSession(id, "pause", by, func(paused map[string]*Pause) {
		if paused[id] == nil {
			paused[id] = &Pause{By: by, Since: time.Now()}
		}
	})
}

// ResumeSession lifts a session's pause (streams paused on their own, or by
// a global pause, stay paused).
func (p *Proxy) ResumeSession(id, by string) error {
	return p.onSession(id, "resume", by, func(paused map[string]*Pause) { delete(paused, id) })
}

// onSession applies change to the sessions' pauses if the session table
// knows id (holding the table's lock, so it cannot forget id meanwhile),
// wakes the streams, and publishes the act.
func (p *Proxy) onSession(id, action, by string, change func(paused map[string]*Pause)) error {
	g := &p.gates
	known := g.sessions.ifKnown(id, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.init()
		change(g.paused)
		p.publishGate(id, "", GateChange{Action: action, Scope: "session", By: by})
		g.updateAll()
	})
	if !known {
		return fmt.Errorf("%w: %q", ErrUnknownSession, id)
	}
	return nil
}

// PauseAll closes every gate, including those of streams opened later.
func (p *Proxy) PauseAll(by string) {
	g := &p.gates
	g.mu.Lock()
	if g.global == nil {
		g.global = &Pause{By: by, Since: time.Now()}
	}
	p.publishGate("", "", GateChange{Action: "pause", Scope: "all", By: by})
	g.updateAll()
	g.mu.Unlock()
}

// ResumeAll lifts every pause: global, per session and per stream.
func (p *Proxy) ResumeAll(by string) {
	g := &p.gates
	g.mu.Lock()
	g.global = nil
	clear(g.paused)
	for _, s := range g.streams {
		s.own, s.steps = nil, 0
	}
	p.publishGate("", "", GateChange{Action: "resume", Scope: "all", By: by})
	g.updateAll()
	g.mu.Unlock()
}

// Paused reports the global pause, if any.
func (p *Proxy) Paused() (Pause, bool) {
	p.gates.mu.Lock()
	defer p.gates.mu.Unlock()
	if p.gates.global == nil {
		return Pause{}, false
	}
	return *p.gates.global, true
}

// publishGate publishes a user's act. Callers hold the gates' lock, so the
// act is published before any stream it releases says so.
func (p *Proxy) publishGate(session, stream string, c GateChange) {
	if !p.bus().Active() {
		return
	}
	p.bus().Publish(&Observation{Type: TypeGate, Session: session, Stream: stream, Gate: &c})
}
