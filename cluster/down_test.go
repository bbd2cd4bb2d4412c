package cluster_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/internal/redistest"
)

// TestRedisDownMidway: with Redis killed, acting on another instance's
// stream fails with a clear 503 naming Redis, listings say Redis did not
// answer, and local control keeps working.
func TestRedisDownMidway(t *testing.T) {
	addr, kill := redistest.StartKillable(t)
	up := upstream(t)
	a, b := startInstance(t, "A", addr, up), startInstance(t, "B", addr, up)
	s := openStream(t, a)
	listing := b.waitForList(t, "/api/streams?all=1", func(o map[string]any) bool { return len(entries(o, "streams")) == 1 })
	ref := entries(listing, "streams")[0]["ref"].(string)
	id := entries(listing, "streams")[0]["id"].(string)

	kill()

	status, obj, _ := b.call(t, "POST", "/api/streams/"+ref+"/pause")
	if msg, _ := obj["error"].(string); status != http.StatusServiceUnavailable || !strings.Contains(msg, "redis unreachable") {
		t.Errorf("remote pause with Redis down: %d %v, want 503 saying Redis is unreachable", status, obj)
	}
	if !s.flowing() {
		t.Error("the stream stopped though no pause reached it")
	}
	_, obj, _ = b.call(t, "GET", "/api/streams?all=1")
	if un, _ := obj["unreached"].([]any); len(un) != 1 || un[0].(map[string]any)["instance"] != "redis" {
		t.Errorf("listing every instance with Redis down: %v, want Redis named as unreached", obj)
	}

	// Local control, on A, needs no Redis.
	if status, obj, _ := a.call(t, "POST", "/api/streams/"+id+"/pause"); status != 200 {
		t.Fatalf("local pause on A with Redis down: %d %v", status, obj)
	}
	if !s.held() {
		t.Fatal("paused locally on A, but events still arrive")
	}
	status, obj, _ = a.call(t, "POST", "/api/sessions/"+s.session+"/resume")
	un, _ := obj["unreached"].([]any)
	if status != 200 || !sameList(obj["instances"], "A") || len(un) != 1 {
		t.Errorf("local session resume on A with Redis down: %d %v, want 200, applied on A, Redis unreached", status, obj)
	}
	if status, obj, _ := a.call(t, "POST", "/api/streams/"+id+"/resume"); status != 200 {
		t.Fatalf("local resume on A with Redis down: %d %v", status, obj)
	}
	if !s.flowing() {
		t.Fatal("resumed locally on A, but nothing arrives")
	}
}

// TestRedisBackRestoresRemoteControl: after Redis comes back (empty), the
// instances enter the set again at their next heartbeat, resubscribe, and
// remote control works again.
func TestRedisBackRestoresRemoteControl(t *testing.T) {
	addr, kill := redistest.StartKillable(t)
	up := upstream(t)
	a, b := startInstance(t, "A", addr, up), startInstance(t, "B", addr, up)
	s := openStream(t, a)
	listing := b.waitForList(t, "/api/streams?all=1", func(o map[string]any) bool { return len(entries(o, "streams")) == 1 })
	ref := entries(listing, "streams")[0]["ref"].(string)
	kill()
	if status, obj, _ := b.call(t, "POST", "/api/streams/"+ref+"/pause"); status != http.StatusServiceUnavailable {
		t.Fatalf("remote pause with Redis down: %d %v, want 503", status, obj)
	}
	redistest.Restart(t, addr)
	var status int
	var obj map[string]any
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if status, obj, _ = b.call(t, "POST", "/api/streams/"+ref+"/pause"); status == 200 {
			break
		}
	}
	if status != 200 {
		t.Fatalf("remote pause after Redis came back: %d %v", status, obj)
	}
	if !s.held() {
		t.Error("paused through B after Redis came back, but A forwards events")
	}
}
