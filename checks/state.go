package checks

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Bounds of what a Checker keeps. Past a bound an arbitrary entry is
// forgotten (a check it would have served then stays silent: bounds never
// cause a finding).
const (
	maxSessions      = 4096    // sessions with state
	maxPendingTotal  = 1 << 16 // requests waiting for an answer, all sessions
	maxUsedIDs       = 1 << 16 // request ids remembered per session (duplicates)
	maxTokens        = 4096    // progress tokens per session, active and finished
	maxExchanges     = 8192    // HTTP exchanges whose request or revision is noted
	maxStreams       = 8192    // SSE streams with state
	maxOrphans       = 1024    // answers waiting, for the grace, for their request
	maxKeyLen        = 64      // longer peer-chosen strings are kept as digests
	maxPerRule       = 8       // findings of one rule per session: a peer that breaks a rule on every message is told a few times, not flooded
	maxShownInReport = 80      // bytes of a peer's string quoted in a message
)

// key returns s as a map key the checker may keep: a copy, or for a long
// string a digest of it (so a peer's long id costs 34 bytes).
func key(s string) string {
	if len(s) <= maxKeyLen {
		return strings.Clone(s)
	}
	sum := sha256.Sum256([]byte(s))
	return "#" + hex.EncodeToString(sum[:16])
}

// lookup returns s as key returns it, without copying a short s: for map
// lookups, which keep nothing.
func lookup(s string) string {
	if len(s) <= maxKeyLen {
		return s
	}
	return key(s)
}

// shown is s cut for a finding's message (the UI makes it safe to print).
func shown(s string) string {
	if len(s) > maxShownInReport {
		return s[:maxShownInReport] + "…"
	}
	return s
}

// session is what the checks keep of one session (or, sessionless, of one
// client connection's group).
type session struct {
	id        string
	revision  string
	capsKnown bool // the client's initialize was seen
	caps      map[string]bool
	pending   map[string]*pending  // dir+id → the request waiting for its answer
	used      map[string]struct{}  // dir+id of every request sent (bounded)
	tokens    map[string]*progress // progress token → its state
	active    int                  // tokens whose request waits: while none, progress notifications are not decoded once reports of unknown tokens are spent
	toolList  string               // the last whole tools/list result (bounded, see tools.go)
	partial   bool                 // observations were lost: checks that need every message are off
	found     map[string]int       // findings reported per rule (at most maxPerRule each)
}

// pending is a request waiting for its answer.
type pending struct {
	owner     *session // the session whose table holds it
	key       string   // its key there
	seq       uint64
	method    string
	at        time.Time
	alive     time.Time // at, or its last progress notification: the hung clock runs from it
	token     string    // its progress token's key, if any
	exchange  string
	paged     bool            // a tools/list with a cursor: one page, not the list
	cancelled time.Time       // when notifications/cancelled named it
	hung      bool            // reported hung already
	caps      map[string]bool // initialize: the capabilities the client declares
}

// progress is one progress token's state.
type progress struct {
	req    *pending // the request that offered the token
	active bool     // its request waits for an answer
	seen   bool     // a notification came
	last   float64
}

func newSession(id string) *session {
	return &session{id: id, found: map[string]int{}, pending: map[string]*pending{}, used: map[string]struct{}{}, tokens: map[string]*progress{}}
}

// evictOne forgets an arbitrary entry of m.
func evictOne[V any](m map[string]V) {
	for k := range m {
		delete(m, k)
		return
	}
}

// exchange is what the checks note of one HTTP exchange before its http
// observation: the messages its request carried.
type exchange struct {
	requests, others int    // requests, and notifications or responses
	method, name     string // the first request's method and Mcp-Name source (2026-07-28)
	nameOK           bool   // name was read
}

// stream is one SSE stream's resumability state.
type stream struct {
	resumable bool // an event carried an id, or a retry field
	reported  bool
}

// orphan is an answer whose request was not seen yet: reported once the
// grace passes without it.
type orphan struct {
	session, key string
	about        findingContext
	at           time.Time
}

// setToken keeps t as the state of token k, within maxTokens.
func (s *session) setToken(k string, t *progress) {
	if old, ok := s.tokens[k]; ok {
		s.deactivate(old)
	} else if len(s.tokens) >= maxTokens {
		for k2, v := range s.tokens {
			s.deactivate(v)
			delete(s.tokens, k2)
			break
		}
	}
	s.tokens[k] = t
	if t.active {
		s.active++
	}
}

// deactivate marks a token's request answered.
func (s *session) deactivate(t *progress) {
	if t.active {
		t.active = false
		s.active--
	}
}
