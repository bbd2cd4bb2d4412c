package cluster_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/internal/redistest"
)

// TestPauseThroughAnotherInstance: a stream carried by instance A is
// listed by instance B naming A, and paused, stepped and resumed through
// B's control API; so is its session, which B has never seen.
func TestPauseThroughAnotherInstance(t *testing.T) {
	addr := redistest.Start(t)
	up := upstream(t)
	a, b := startInstance(t, "A", addr, up), startInstance(t, "B", addr, up)
	s := openStream(t, a)
	if !s.flowing() {
		t.Fatal("the stream through A carries no events")
	}

	listing := b.waitForList(t, "/api/streams?all=1", func(o map[string]any) bool { return len(entries(o, "streams")) == 1 })
	st := entries(listing, "streams")[0]
	if listing["instance"] != "B" || st["instance"] != "A" || st["ref"] != st["id"].(string)+"@A" || st["session"] != s.session {
		t.Fatalf("B's listing of every instance's streams = %v, want A's stream of session %s named st-N@A", listing, s.session)
	}
	if un := listing["unreached"].([]any); len(un) != 0 {
		t.Errorf("unreached = %v, want none", un)
	}
	ref := st["ref"].(string)
	if _, _, local := b.call(t, "GET", "/api/streams"); len(local) != 0 {
		t.Errorf("B's own streams = %v, want none (the stream is A's)", local)
	}

	status, obj, _ := b.call(t, "POST", "/api/streams/"+ref+"/pause")
	if status != 200 || obj["stream"] != ref || !sameList(obj["instances"], "A") {
		t.Fatalf("pause %s through B: %d %v", ref, status, obj)
	}
	if !s.held() {
		t.Fatal("paused through B, but A still forwards events")
	}
	_, _, aStreams := a.call(t, "GET", "/api/streams")
	if got := aStreams[0].(map[string]any); got["paused"] != true || got["paused_by"] != "api@B" || got["instance"] != "A" {
		t.Errorf("A's own listing after B paused: %v, want paused by api@B", got)
	}
	before := s.events.Load()
	if status, obj, _ := b.call(t, "POST", "/api/streams/"+ref+"/step"); status != 200 {
		t.Fatalf("step through B: %d %v", status, obj)
	}
	if !s.held() || s.events.Load() != before+1 {
		t.Errorf("step through B let %d events through, want 1", s.events.Load()-before)
	}
	if status, obj, _ := b.call(t, "POST", "/api/streams/"+ref+"/resume"); status != 200 {
		t.Fatalf("resume through B: %d %v", status, obj)
	}
	if !s.flowing() {
		t.Fatal("resumed through B, but A forwards nothing")
	}
	if status, obj, _ := b.call(t, "POST", "/api/streams/"+ref+"/step"); status != http.StatusConflict {
		t.Errorf("step of a flowing stream through B: %d %v, want A's 409", status, obj)
	}

	// The session: B never saw it; A applies the pause.
	status, obj, _ = b.call(t, "POST", "/api/sessions/"+s.session+"/pause")
	if status != 200 || !sameList(obj["instances"], "A") {
		t.Fatalf("pause session through B: %d %v", status, obj)
	}
	if !s.held() {
		t.Fatal("session paused through B, but A still forwards events")
	}
	if status, obj, _ := b.call(t, "POST", "/api/sessions/"+s.session+"/resume"); status != 200 {
		t.Fatalf("resume session through B: %d %v", status, obj)
	}
	if !s.flowing() {
		t.Fatal("session resumed through B, but A forwards nothing")
	}
	sessions := b.waitForList(t, "/api/sessions?all=1", func(o map[string]any) bool { return len(entries(o, "sessions")) > 0 })
	if e := entries(sessions, "sessions")[0]; e["instance"] != "A" || e["id"] != s.session {
		t.Errorf("B's listing of every instance's sessions = %v, want A's session %s", sessions, s.session)
	}

	// Unknown ids answer 404, after asking the others.
	for _, path := range []string{"/api/streams/st-999@A/pause", "/api/streams/st-1@Z/pause", "/api/streams/st-1@/pause", "/api/streams/st-1/pause", "/api/sessions/nope/pause"} {
		status, obj, _ := b.call(t, "POST", path)
		if status != http.StatusNotFound {
			t.Errorf("POST %s on B: %d %v, want 404", path, status, obj)
		}
	}
	if _, obj, _ := b.call(t, "POST", "/api/streams/st-999@A/pause"); !strings.Contains(obj["error"].(string), "instance A") {
		t.Errorf("404 for A's unknown stream: %q, want it to say A answered", obj["error"])
	}
}

// sameList reports whether v, a decoded JSON list, is exactly want.
func sameList(v any, want ...string) bool {
	list, _ := v.([]any)
	if len(list) != len(want) {
		return false
	}
	for i := range list {
		if list[i] != want[i] {
			return false
		}
	}
	return true
}
