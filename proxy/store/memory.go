package store

import (
	"context"
	"sync"
	"time"
)

// Memory is the in-process backend. Expired sessions are removed when
// touched by a lookup and by a sweep at most once per TTL/4, on calls:
// it starts no goroutine.
type Memory struct {
	TTL time.Duration // idle expiry; DefaultTTL if 0
	now func() time.Time

	mu        sync.Mutex
	byProxy   map[string]*Session
	byUp      map[string]map[string]struct{}
	lastSweep time.Time
}

// NewMemory returns an empty memory store.
func NewMemory(ttl time.Duration) *Memory {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Memory{TTL: ttl, now: time.Now, byProxy: map[string]*Session{}, byUp: map[string]map[string]struct{}{}}
}

func (m *Memory) Name() string { return "memory" }
func (m *Memory) Close() error { return nil }

func (m *Memory) Put(_ context.Context, s *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep()
	if old := m.byProxy[s.ProxyID]; old != nil {
		m.unindex(old)
	}
	c := *s
	c.LastSeen = m.now()
	m.byProxy[s.ProxyID] = &c
	if m.byUp[s.UpstreamID] == nil {
		m.byUp[s.UpstreamID] = map[string]struct{}{}
	}
	m.byUp[s.UpstreamID][s.ProxyID] = struct{}{}
	return nil
}

func (m *Memory) Get(_ context.Context, proxyID string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.live(proxyID)
	if s == nil {
		return nil, ErrNotFound
	}
	c := *s
	return &c, nil
}

func (m *Memory) Touch(_ context.Context, proxyID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.live(proxyID)
	if s == nil {
		return ErrNotFound
	}
	s.LastSeen = m.now()
	return nil
}

func (m *Memory) Lookup(_ context.Context, proxyID string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.live(proxyID)
	if s == nil {
		return nil, ErrNotFound
	}
	s.LastSeen = m.now()
	c := *s
	return &c, nil
}

func (m *Memory) ByUpstream(_ context.Context, upstreamID string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for p := range m.byUp[upstreamID] {
		if m.live(p) != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

func (m *Memory) Delete(_ context.Context, proxyID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.byProxy[proxyID]; s != nil {
		m.unindex(s)
		delete(m.byProxy, proxyID)
	}
	return nil
}

// Len returns the sessions held (live or not yet swept), for tests and
// size measurements.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byProxy)
}

// live returns the session if it has not expired, removing it if it has.
// Callers hold m.mu.
func (m *Memory) live(proxyID string) *Session {
	s := m.byProxy[proxyID]
	if s != nil && m.now().Sub(s.LastSeen) > m.TTL {
		m.unindex(s)
		delete(m.byProxy, proxyID)
		return nil
	}
	return s
}

func (m *Memory) unindex(s *Session) {
	if set := m.byUp[s.UpstreamID]; set != nil {
		delete(set, s.ProxyID)
		if len(set) == 0 {
			delete(m.byUp, s.UpstreamID)
		}
	}
}

// sweep drops expired sessions, at most every TTL/4. Callers hold m.mu.
func (m *Memory) sweep() {
	now := m.now()
	if now.Sub(m.lastSweep) < m.TTL/4 {
		return
	}
	m.lastSweep = now
	for id := range m.byProxy {
		m.live(id)
	}
}
