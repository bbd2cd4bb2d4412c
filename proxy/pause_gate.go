package proxy

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// The pause gate. Every open SSE stream passes each event through its gate
// before writing it (and a stdio link each server→client line, link.go).
// A gate is closed while a pause applies to its stream: the stream's own,
// its session's, or the global one. While the stream
// waits at a closed gate it does not read the upstream body, so the kernel's
// socket buffers fill and the upstream's writes block: the pause reaches the
// server as TCP backpressure, and the proxy holds at most one read buffer
// plus the event being parsed. Step lets exactly one event of a stream
// through a closed gate. Resuming lets everything through, in order.

// Errors of the control methods.
var (
	ErrUnknownStream  = errors.New("no such stream")
	ErrUnknownSession = errors.New("no such session")
	ErrNotPaused      = errors.New("stream is not paused")
)

// Pause says who paused something and since when.
type Pause struct {
	By    string    `json:"by"`
	Since time.Time `json:"since"`
}

// GateChange is the payload of a TypeGate observation.
type GateChange struct {
	// Action is "pause", "resume" or "step" (a user's act), or "held" (a
	// stream stopped at its closed gate) or "released" (it went on).
	Action string `json:"action"`
	// Scope is what the act applied to: "stream", "session" or "all".
	Scope string `json:"scope"`
	By    string `json:"by,omitempty"`
	// Since is when the pause began (on "held", "released" and "resume").
	Since time.Time `json:"since,omitzero"`
	// HeldBytes are the upstream bytes the stream has read but not yet
	// forwarded (the rest of one read buffer plus the event being parsed);
	// HeldEvents counts the event waiting at the gate.
	HeldBytes  int64 `json:"held_bytes,omitempty"`
	HeldEvents int64 `json:"held_events,omitempty"`
}

// streamGate is one open stream's gate and counters.
type streamGate struct {
	id      string
	session string
	kind    StreamKind
	opened  time.Time

	closed atomic.Bool   // a pause applies: the fast path checks only this
	wake   chan struct{} // has a token when the gate may have opened
	steer  chan struct{} // has a token when closed changed (Link.WatchSteer)
	events atomic.Int64
	bytes  atomic.Int64

	// Guarded by gates.mu.
	own       *Pause
	steps     int
	waiting   bool // the stream is blocked at the gate
	heldBytes int64
}

// gates holds every gate and the pauses: the streams' own (in their
// gates), the sessions' and the global one. It also holds the table of the
// sessions seen (session_table.go), which a stream opening registers its
// session in and which never forgets a session the gates hold.
type gates struct {
	mu       sync.Mutex
	global   *Pause
	streams  map[string]*streamGate
	paused   map[string]*Pause // the paused sessions' pauses
	sessions sessionTable      // its own lock, taken before mu where both are
}

func (g *gates) init() {
	if g.streams == nil {
		g.streams = make(map[string]*streamGate)
		g.paused = make(map[string]*Pause)
	}
}

// touch notes a request of session in the session table, which keeps the
// sessions the gates hold.
func (g *gates) touch(session string, now time.Time) {
	g.sessions.touch(session, now, g.held)
}

// held returns the sessions the gates hold: those with an open stream or
// a pause.
func (g *gates) held() map[string]bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	held := make(map[string]bool, len(g.streams)+len(g.paused))
	for _, s := range g.streams {
		held[s.session] = true
	}
	for id := range g.paused {
		held[id] = true
	}
	return held
}

// label names a stdio link's session in the session table.
func (g *gates) label(session, transport, name string) {
	g.sessions.label(session, transport, name)
}

// forget drops a session that ended, and its pause (its streams keep
// their own gates until they close).
func (g *gates) forget(session string) {
	g.sessions.forget(session)
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.paused, session)
}

// open registers a stream; its gate starts closed if its session or
// everything is paused. It lists no session in the table: the stream's
// request did, and if the session ended since (a client's DELETE racing
// its own GET stream), the stream must not bring it back as a row that
// nothing would remove.
func (g *gates) open(id, session string, kind StreamKind) *streamGate {
	s := &streamGate{id: id, session: session, kind: kind, opened: time.Now(), wake: make(chan struct{}, 1), steer: make(chan struct{}, 1)}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	g.streams[id] = s
	g.update(s)
	return s
}

// move changes the session a stream belongs to (the legacy stream learns
// its session from its first event).
func (g *gates) move(s *streamGate, session string) {
	g.sessions.seen(session, time.Now())
	g.mu.Lock()
	defer g.mu.Unlock()
	s.session = session
	g.update(s)
}

// openStreams counts the streams open now.
func (g *gates) openStreams() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.streams)
}

func (g *gates) close(s *streamGate) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.streams, s.id)
}

// pauseOf returns the pause that applies to s, the narrowest first.
// Callers hold g.mu.
func (g *gates) pauseOf(s *streamGate) (*Pause, string) {
	switch {
	case s.own != nil:
		return s.own, "stream"
	case g.paused[s.session] != nil:
		return g.paused[s.session], "session"
	case g.global != nil:
		return g.global, "all"
	}
	return nil, ""
}

// update recomputes s's fast-path flag and wakes it if it may go on.
// Callers hold g.mu.
func (g *gates) update(s *streamGate) {
	p, _ := g.pauseOf(s)
	if s.closed.Swap(p != nil) != (p != nil) {
		select {
		case s.steer <- struct{}{}:
		default:
		}
	}
	if p == nil || s.steps > 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func (g *gates) updateAll() {
	for _, s := range g.streams {
		g.update(s)
	}
}

// pass is called by a stream at its gate: it reports whether the event may
// go on (consuming a step if that is what lets it), and records that the
// stream waits if not.
func (g *gates) pass(s *streamGate, heldBytes int64) (ok bool, pause *Pause) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, _ := g.pauseOf(s)
	switch {
	case p == nil:
		s.waiting, s.heldBytes = false, 0
		return true, nil
	case s.steps > 0:
		s.steps--
		s.waiting, s.heldBytes = false, 0
		return true, p
	}
	s.waiting, s.heldBytes = true, heldBytes
	return false, p
}

// await holds a stream (an SSE stream, a stdio link's server→client
// side) at its gate until the gate lets one message through (open, or a
// step) or ctx ends, holding heldBytes the stream has read but not
// forwarded. The first wait publishes a "held" gate observation and the
// release a "released" one, with publish. The caller reads nothing more
// from its source meanwhile: that is the backpressure.
func (g *gates) await(ctx context.Context, s *streamGate, heldBytes int64, publish func(*Observation)) error {
	var waited *Pause
	for {
		ok, pause := g.pass(s, heldBytes)
		if ok {
			if waited != nil {
				publish(&Observation{Type: TypeGate, Gate: &GateChange{Action: "released", Scope: "stream", By: waited.By, Since: waited.Since}})
			}
			return nil
		}
		if waited == nil {
			waited = pause
			publish(&Observation{Type: TypeGate, Gate: &GateChange{Action: "held", Scope: "stream", By: pause.By, Since: pause.Since, HeldBytes: heldBytes, HeldEvents: 1}})
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// StreamInfo describes an open stream for the control methods.
type StreamInfo struct {
	ID        string     `json:"id"`
	Session   string     `json:"session"`
	Kind      StreamKind `json:"kind"`
	State     string     `json:"state"` // "flowing", "paused" (a pause applies) or "held" (waiting at its gate)
	Opened    time.Time  `json:"opened"`
	Events    int64      `json:"events"`
	Bytes     int64      `json:"bytes"`
	Paused    bool       `json:"paused"`
	PausedBy  string     `json:"paused_by,omitempty"`
	PauseFrom string     `json:"pause_scope,omitempty"` // "stream", "session" or "all"
	Since     time.Time  `json:"paused_since,omitzero"`
	HeldBytes int64      `json:"held_bytes,omitempty"`
	Steps     int        `json:"steps_pending,omitempty"`
}

func (g *gates) streamInfo(s *streamGate) StreamInfo {
	info := StreamInfo{ID: s.id, Session: s.session, Kind: s.kind, Opened: s.opened,
		Events: s.events.Load(), Bytes: s.bytes.Load(), State: "flowing", Steps: s.steps}
	if p, scope := g.pauseOf(s); p != nil {
		info.Paused, info.PausedBy, info.PauseFrom, info.Since, info.State = true, p.By, scope, p.Since, "paused"
	}
	if s.waiting {
		info.State, info.HeldBytes = "held", s.heldBytes
	}
	return info
}

func (g *gates) listStreams() []StreamInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]StreamInfo, 0, len(g.streams))
	for _, s := range g.streams {
		out = append(out, g.streamInfo(s))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Opened.Before(out[j].Opened) })
	return out
}

// listSessions lists the sessions of the table, oldest first, with their
// open streams and pauses.
func (g *gates) listSessions() []SessionInfo {
	out := g.sessions.list()
	byID := make(map[string]*SessionInfo, len(out))
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for id, p := range g.paused {
		if info := byID[id]; info != nil {
			info.Paused, info.PausedBy, info.Since = true, p.By, p.Since
		}
	}
	for _, s := range g.streams {
		if info := byID[s.session]; info != nil {
			info.Streams++
			info.Events += s.events.Load()
			info.Bytes += s.bytes.Load()
		}
	}
	return out
}
