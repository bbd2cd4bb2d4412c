package proxy

import (
	"sort"
	"sync"
	"time"
)

// sessionTable is what this proxy knows of the sessions it has seen, for
// Sessions() and for telling an expired session from an unknown one
// (seenAlive): when each was first and last seen, its requests, the
// upstream's id for it and its protocol version, and, for a stdio link's
// session, its transport and name. The session map itself (proxy id →
// upstream id) is the store's (session.go); this table only describes.
//
// It remembers at most maxRememberedSessions: a new session's request
// makes it forget the least recently seen one that the gates do not hold
// (no open stream, no pause). A session's pause is not here but with the
// gates (pause_gate.go), which read it with the stream's own pause and the
// global one under one lock at every closed gate.
//
// Lock order: t.mu may be held while taking the gates' lock (to ask what
// they hold), never the other way round.
type sessionTable struct {
	mu sync.Mutex
	m  map[string]*sessionEntry
}

// sessionEntry is what the table knows of one session.
type sessionEntry struct {
	firstSeen, lastSeen time.Time
	requests            int64
	upstream            string // the upstream's id for it
	protocol            string // the protocol version it initialized with
	transport, name     string // for a stdio link's session: "stdio" and the command
}

const maxRememberedSessions = 4096

// entry returns session's entry, adding one first seen at now if there is
// none. Callers hold t.mu.
func (t *sessionTable) entry(session string, now time.Time) *sessionEntry {
	if t.m == nil {
		t.m = make(map[string]*sessionEntry)
	}
	e := t.m[session]
	if e == nil {
		e = &sessionEntry{firstSeen: now, lastSeen: now}
		t.m[session] = e
	}
	return e
}

// touch notes a request of session. A session new to a full table makes it
// forget the least recently seen one not in held (what held returns: the
// sessions the gates hold).
func (t *sessionTable) touch(session string, now time.Time, held func() map[string]bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m[session] == nil && len(t.m) >= maxRememberedSessions {
		t.forgetOldestExcept(held())
	}
	e := t.entry(session, now)
	e.lastSeen = now
	e.requests++
}

// forgetOldestExcept drops the least recently seen session not in keep.
// Callers hold t.mu.
func (t *sessionTable) forgetOldestExcept(keep map[string]bool) {
	var oldest string
	var at time.Time
	for id, e := range t.m {
		if !keep[id] && (oldest == "" || e.lastSeen.Before(at)) {
			oldest, at = id, e.lastSeen
		}
	}
	delete(t.m, oldest)
}

// seen notes a session a stream moved into, without counting a request.
func (t *sessionTable) seen(session string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entry(session, now)
}

// label names a session that is not HTTP's: its transport and what to
// call it (a stdio link's command).
func (t *sessionTable) label(session, transport, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(session, time.Now())
	e.transport, e.name = transport, name
}

// mapped notes the upstream's id for a session and its protocol version.
func (t *sessionTable) mapped(session, upstream, protocol string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.m[session]; e != nil {
		e.upstream, e.protocol = upstream, protocol
	}
}

// seenAlive reports whether this proxy has seen the session alive (created
// it, or found it in the store for a request: mapped it to an upstream's)
// and has not forgotten it. A request naming any id is touched, so being
// in the table alone proves nothing.
func (t *sessionTable) seenAlive(session string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.m[session]
	return e != nil && e.upstream != ""
}

// ifKnown runs do, under the table's lock, if the table knows session (so
// it cannot be forgotten meanwhile), and reports whether it did.
func (t *sessionTable) ifKnown(session string, do func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m[session] == nil {
		return false
	}
	do()
	return true
}

// untouch takes back a request touch counted for session; a session left
// with none is forgotten unless it is in held (what held returns).
func (t *sessionTable) untouch(session string, held func() map[string]bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.m[session]
	if e == nil {
		return
	}
	if e.requests--; e.requests <= 0 && !held()[session] {
		delete(t.m, session)
	}
}

// forgetIfKnown drops a session and reports whether the table had it.
func (t *sessionTable) forgetIfKnown(session string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.m[session]
	delete(t.m, session)
	return ok
}

// forget drops a session.
func (t *sessionTable) forget(session string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, session)
}

// list describes the sessions, oldest first, without what the gates know
// (open streams, their counts, a pause).
func (t *sessionTable) list() []SessionInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]SessionInfo, 0, len(t.m))
	for id, e := range t.m {
		out = append(out, SessionInfo{ID: id, Upstream: e.upstream, Protocol: e.protocol, Transport: e.transport, Name: e.name,
			FirstSeen: e.firstSeen, LastSeen: e.lastSeen, Requests: e.requests})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FirstSeen.Before(out[j].FirstSeen) })
	return out
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
