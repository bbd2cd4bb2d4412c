package cluster_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mcpscope/mcpscope/cluster"
	"github.com/mcpscope/mcpscope/internal/redistest"
)

// TestHostilePeerIsRefused: messages too large, malformed or forged are
// refused and counted, and the instance goes on answering its peers.
func TestHostilePeerIsRefused(t *testing.T) {
	addr := redistest.Start(t)
	up := upstream(t)
	a := startInstance(t, "A", addr, up, func(o *cluster.Options) { o.MaxMessage = 64 << 10 })
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	for _, payload := range []string{
		`{"v":1,"kind":"req","corr":"c1","from":"X","op":"list/streams","id":"` + strings.Repeat("x", 1<<20) + `"}`, // over the limit
		`{"v":1,"kind":"req",`, // malformed
		`{"v":1,"kind":"req","corr":"c2","from":"../evil","op":"list/streams"}`, // an id no instance can have
		`{"v":2,"kind":"req","corr":"c3","from":"X","op":"list/streams"}`,       // another version
	} {
		if err := rdb.Publish(ctx, "mcpscope:control", payload).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); a.peers.Refused() < 4 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	if got := a.peers.Refused(); got != 4 {
		t.Errorf("A refused %d messages, want 4", got)
	}
	// A forged reply nobody waits for is dropped; A still answers.
	rdb.Publish(ctx, "mcpscope:control:B", `{"v":1,"kind":"rep","corr":"nobody","from":"A","to":"B","op":"list/streams"}`)
	b := startInstance(t, "B", addr, up)
	openStream(t, a)
	b.waitForList(t, "/api/streams?all=1", func(o map[string]any) bool {
		e := entries(o, "streams")
		return len(e) == 1 && e[0]["instance"] == "A"
	})
}

// TestSilentInstanceIsNamed: an instance that is registered but does not
// answer is named, in a 504 when nobody else applied the act and in the
// listing's unreached; nothing waits past the timeout.
func TestSilentInstanceIsNamed(t *testing.T) {
	addr := redistest.Start(t)
	up := upstream(t)
	a := startInstance(t, "A", addr, up)
	b := startInstance(t, "B", addr, up)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	// ghost's heartbeat is in the future: live for the whole test, and never answering.
	if err := rdb.ZAdd(context.Background(), "mcpscope:instances", redis.Z{Score: float64(time.Now().Add(time.Hour).UnixMilli()), Member: "ghost"}).Err(); err != nil {
		t.Fatal(err)
	}
	s := openStream(t, a)

	start := time.Now()
	status, obj, _ := b.call(t, "POST", "/api/sessions/nope/pause")
	if msg, _ := obj["error"].(string); status != http.StatusGatewayTimeout || !strings.Contains(msg, "ghost") || strings.Contains(msg, "A,") {
		t.Errorf("a session nobody knows, with ghost silent: %d %v, want 504 naming ghost", status, obj)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the request took %s, want about the 1 s timeout", took)
	}
	status, obj, _ = b.call(t, "POST", "/api/sessions/"+s.session+"/pause")
	un, _ := obj["unreached"].([]any)
	if status != 200 || !sameList(obj["instances"], "A") || len(un) != 1 || un[0].(map[string]any)["instance"] != "ghost" {
		t.Errorf("a session A carries, with ghost silent: %d %v, want 200 applied on A, ghost unreached", status, obj)
	}
	if !s.held() {
		t.Error("A did not apply the session pause")
	}
	_, obj, _ = b.call(t, "GET", "/api/streams?all=1")
	if un, _ := obj["unreached"].([]any); len(un) != 1 || un[0].(map[string]any)["instance"] != "ghost" || len(entries(obj, "streams")) != 1 {
		t.Errorf("listing with ghost silent: %v, want A's stream and ghost unreached", obj)
	}

}

// TestDuplicateInstanceID: a second instance with a live instance's id is
// refused at start.
func TestDuplicateInstanceID(t *testing.T) {
	addr := redistest.Start(t)
	startInstance(t, "A", addr, upstream(t))
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if rdb.ZScore(context.Background(), "mcpscope:instances", "A").Err() == nil {
			break
		}
	}
	if p, err := cluster.Start(rdb, nil, cluster.Options{ID: "A"}); err == nil || !strings.Contains(err.Error(), "live") {
		if p != nil {
			p.Close()
		}
		t.Errorf("a second A: %v, want refused as live already", err)
	}
	if _, err := cluster.Start(rdb, nil, cluster.Options{ID: "a/b"}); err == nil {
		t.Error("an id with a slash was accepted")
	}
}

// TestListingCutToFit: a listing larger than the message limit is cut to
// its newest entries, and the answer says so.
func TestListingCutToFit(t *testing.T) {
	addr := redistest.Start(t)
	up := upstream(t)
	a := startInstance(t, "A", addr, up, func(o *cluster.Options) { o.MaxMessage = 200 }) // less than a reply with one stream
	b := startInstance(t, "B", addr, up)
	openStream(t, a)
	for deadline := time.Now().Add(5 * time.Second); len(a.p.Streams()) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	_, obj, _ := b.call(t, "GET", "/api/streams?all=1")
	un, _ := obj["unreached"].([]any)
	if len(entries(obj, "streams")) != 0 || len(un) != 1 || un[0].(map[string]any)["instance"] != "A" ||
		!strings.Contains(un[0].(map[string]any)["error"].(string), "1 oldest entries left out") {
		t.Errorf("A's listing over its message limit: %v, want no entry and A named as cut", obj)
	}
}

// TestInflightBound: past MaxInflight remote requests at once, another is
// refused at once (503, Retry-After) instead of queued.
func TestInflightBound(t *testing.T) {
	addr := redistest.Start(t)
	up := upstream(t)
	startInstance(t, "A", addr, up)
	b := startInstance(t, "B", addr, up, func(o *cluster.Options) { o.MaxInflight, o.Timeout = 1, 5*time.Second })
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	if err := rdb.ZAdd(context.Background(), "mcpscope:instances", redis.Z{Score: float64(time.Now().Add(time.Hour).UnixMilli()), Member: "ghost"}).Err(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { // waits the 5 s for ghost; not b.call: no t.Fatal off the test's goroutine
		req, _ := http.NewRequest("GET", b.api+"/api/streams?all=1", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, err := b.client.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	time.Sleep(time.Second)
	status, obj, _ := b.call(t, "POST", "/api/streams/st-1@A/pause")
	if msg, _ := obj["error"].(string); status != http.StatusServiceUnavailable || !strings.Contains(msg, "in flight") {
		t.Errorf("a second remote request past MaxInflight: %d %v, want 503 busy", status, obj)
	}
	wg.Wait()
}
