package proxy

import (
	"strconv"
	"testing"
	"time"
)

// TestSessionTableForgetsTheOldestItDoesNotHold: the table of sessions
// seen stays within maxRememberedSessions; a new session makes it forget
// the least recently seen one, unless the gates hold that one (an open
// stream, a pause), and a forgotten session's pause goes with it.
func TestSessionTableForgetsTheOldestItDoesNotHold(t *testing.T) {
	var p Proxy
	g := &p.gates
	start := time.Now()
	for i := range maxRememberedSessions {
		g.touch("s"+strconv.Itoa(i), start.Add(time.Duration(i)*time.Millisecond))
	}
	gate := g.open("st-1", "s0", StreamPOST) // s0 has a stream
	if err := p.PauseSession("s1", "test"); err != nil {
		t.Fatal(err)
	}
	g.touch("new", start.Add(time.Hour))

	known := map[string]SessionInfo{}
	for _, s := range p.Sessions() {
		known[s.ID] = s
	}
	if len(known) != maxRememberedSessions {
		t.Fatalf("the table remembers %d sessions, want %d", len(known), maxRememberedSessions)
	}
	if _, ok := known["s2"]; ok {
		t.Error("s2, the oldest session the gates do not hold, is still remembered")
	}
	if s := known["s0"]; s.Streams != 1 {
		t.Errorf("s0 (with an open stream): %+v, want it listed with its stream", s)
	}
	if s := known["s1"]; !s.Paused || s.PausedBy != "test" {
		t.Errorf("s1 (paused): %+v, want it listed paused", s)
	}
	if s := known["new"]; s.Requests != 1 {
		t.Errorf("new: %+v, want it listed with one request", s)
	}

	g.forget("s1")
	if err := p.PauseSession("s1", "test"); err == nil {
		t.Error("pausing a forgotten session succeeded")
	}
	if p, _ := g.pauseOf(gate); p != nil {
		t.Errorf("s0's stream is paused by %+v", p)
	}
	g.mu.Lock()
	paused := len(g.paused)
	g.mu.Unlock()
	if paused != 0 {
		t.Errorf("%d session pauses remain after the paused session was forgotten", paused)
	}
	g.close(gate)
}
