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
// before writing it. A gate is closed while a pause applies to its stream:
// the stream's own, its session's, or the global one. While the stream
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
	events atomic.Int64
	bytes  atomic.Int64

	// Guarded by gates.mu.
	own       *Pause
	steps     int
	waiting   bool // the stream is blocked at the gate
	heldBytes int64
}

// sessionEntry is what the gates know of a session.
type sessionEntry struct {
	firstSeen, lastSeen time.Time
	requests            int64
	pause               *Pause
	upstream            string // the upstream's id for it
	protocol            string // the protocol version it initialized with
	transport, name     string // for a stdio link's session: "stdio" and the command
}

// gates holds every gate and the session and global pauses.
type gates struct {
	mu       sync.Mutex
	global   *Pause
	streams  map[string]*streamGate
	sessions map[string]*sessionEntry
}

const maxRememberedSessions = 4096

func (g *gates) init() {
	if g.streams == nil {
		g.streams = make(map[string]*streamGate)
		g.sessions = make(map[string]*sessionEntry)
	}
}

// touch notes a request of session.
func (g *gates) touch(session string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	e := g.sessions[session]
	if e == nil {
		if len(g.sessions) >= maxRememberedSessions {
			g.forgetOldestIdleSession()
		}
		e = &sessionEntry{firstSeen: now}
		g.sessions[session] = e
	}
	e.lastSeen = now
	e.requests++
}

// forgetOldestIdleSession drops the least recently seen session that has
// no open stream and no pause.
func (g *gates) forgetOldestIdleSession() {
	busy := make(map[string]bool)
	for _, s := range g.streams {
		busy[s.session] = true
	}
	var oldest string
	var at time.Time
	for id, e := range g.sessions {
		if !busy[id] && e.pause == nil && (oldest == "" || e.lastSeen.Before(at)) {
			oldest, at = id, e.lastSeen
		}
	}
	delete(g.sessions, oldest)
}

// label names a session that is not HTTP's: its transport and what to
// call it (a stdio link's command).
func (g *gates) label(session, transport, name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	e := g.sessions[session]
	if e == nil {
		now := time.Now()
		e = &sessionEntry{firstSeen: now, lastSeen: now}
		g.sessions[session] = e
	}
	e.transport, e.name = transport, name
}

// mapped notes the upstream's id for a session and its protocol version.
func (g *gates) mapped(session, upstream, protocol string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	if e := g.sessions[session]; e != nil {
		e.upstream, e.protocol = upstream, protocol
	}
}

// seenAlive reports whether this proxy has seen the session alive (created
// it, or found it in the store for a request: mapped it to an upstream's)
// and has not forgotten it. A request naming any id is touched, so being
// in the table alone proves nothing.
func (g *gates) seenAlive(session string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.sessions[session]
	return e != nil && e.upstream != ""
}

// forget drops a session that ended (its streams keep their own entries
// until they close).
func (g *gates) forget(session string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.sessions, session)
}

// open registers a stream; its gate starts closed if its session or
// everything is paused.
func (g *gates) open(id, session string, kind StreamKind) *streamGate {
	s := &streamGate{id: id, session: session, kind: kind, opened: time.Now(), wake: make(chan struct{}, 1)}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	if g.sessions[session] == nil {
		g.sessions[session] = &sessionEntry{firstSeen: s.opened, lastSeen: s.opened}
	}
	g.streams[id] = s
	g.update(s)
	return s
}

// move changes the session a stream belongs to (the legacy stream learns
// its session from its first event).
func (g *gates) move(s *streamGate, session string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s.session = session
	if g.sessions[session] == nil {
		g.sessions[session] = &sessionEntry{firstSeen: time.Now(), lastSeen: time.Now()}
	}
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
	case g.sessions[s.session] != nil && g.sessions[s.session].pause != nil:
		return g.sessions[s.session].pause, "session"
	case g.global != nil:
		return g.global, "all"
	}
	return nil, ""
}

// update recomputes s's fast-path flag and wakes it if it may go on.
// Callers hold g.mu.
func (g *gates) update(s *streamGate) {
	p, _ := g.pauseOf(s)
	s.closed.Store(p != nil)
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

// SessionInfo describes a session the proxy has seen.
type SessionInfo struct {
	ID        string    `json:"id"`
	Upstream  string    `json:"upstream,omitempty"` // the upstream's id for the session
	Protocol  string    `json:"protocol_version,omitempty"`
	Transport string    `json:"transport,omitempty"` // "stdio" for a wrapped or bridged stdio server; empty for HTTP
	Name      string    `json:"name,omitempty"`      // a stdio session's command
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Requests  int64     `json:"requests"`
	Streams   int       `json:"open_streams"`
	Events    int64     `json:"events"` // forwarded on its open streams
	Bytes     int64     `json:"bytes"`
	Paused    bool      `json:"paused"`
	PausedBy  string    `json:"paused_by,omitempty"`
	Since     time.Time `json:"paused_since,omitzero"`
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

func (g *gates) listSessions() []SessionInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	byID := make(map[string]*SessionInfo, len(g.sessions))
	out := make([]SessionInfo, 0, len(g.sessions))
	for id, e := range g.sessions {
		info := SessionInfo{ID: id, Upstream: e.upstream, Protocol: e.protocol, Transport: e.transport, Name: e.name,
			FirstSeen: e.firstSeen, LastSeen: e.lastSeen, Requests: e.requests}
		if p := e.pause; p != nil {
			info.Paused, info.PausedBy, info.Since = true, p.By, p.Since
		}
		out = append(out, info)
	}
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	for _, s := range g.streams {
		if info := byID[s.session]; info != nil {
			info.Streams++
			info.Events += s.events.Load()
			info.Bytes += s.bytes.Load()
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FirstSeen.Before(out[j].FirstSeen) })
	return out
}
