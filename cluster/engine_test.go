package cluster_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mcpscope/mcpscope/cluster"
	"github.com/mcpscope/mcpscope/internal/redistest"
	"github.com/mcpscope/mcpscope/proxy"
)

// TestEngineReachesOtherInstances: the TUI's engine on B pauses and
// resumes a session and a stream A carries; an act that left an instance
// unreached is reported as an error naming it.
func TestEngineReachesOtherInstances(t *testing.T) {
	addr := redistest.Start(t)
	up := upstream(t)
	a, b := startInstance(t, "A", addr, up), startInstance(t, "B", addr, up)
	s := openStream(t, a)
	var engine interface {
		PauseStream(id, by string) error
		ResumeStream(id, by string) error
		PauseSession(id, by string) error
		ResumeSession(id, by string) error
	} = cluster.Engine{Proxy: b.p, Peers: b.peers}
	var id string
	for deadline := time.Now().Add(5 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if st := a.p.Streams(); len(st) == 1 {
			id = st[0].ID
		}
	}
	if err := engine.PauseSession(s.session, "tui"); err != nil {
		t.Fatalf("pause A's session from B's engine: %v", err)
	}
	if !s.held() {
		t.Fatal("session paused from B's engine, but A forwards events")
	}
	if st := a.p.Sessions(); len(st) != 1 || st[0].PausedBy != "tui@B" {
		t.Errorf("A's sessions: %+v, want paused by tui@B", st)
	}
	if err := engine.ResumeSession(s.session, "tui"); err != nil || !s.flowing() {
		t.Fatalf("resume A's session from B's engine: %v", err)
	}
	if err := engine.PauseStream(cluster.Ref(id, "A"), "tui"); err != nil || !s.held() {
		t.Fatalf("pause A's stream from B's engine: %v", err)
	}
	if err := engine.ResumeStream(id, "tui"); !errors.Is(err, proxy.ErrUnknownStream) {
		t.Errorf("a bare id names B's own streams: %v, want unknown stream", err)
	}
	if err := engine.ResumeStream(cluster.Ref(id, "A"), "tui"); err != nil || !s.flowing() {
		t.Fatalf("resume A's stream from B's engine: %v", err)
	}

	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	rdb.ZAdd(context.Background(), "mcpscope:instances", redis.Z{Score: float64(time.Now().Add(time.Hour).UnixMilli()), Member: "ghost"})
	err := engine.PauseSession(s.session, "tui")
	if err == nil || !strings.Contains(err.Error(), "ghost") || !strings.Contains(err.Error(), "pause on A") {
		t.Errorf("a session pause ghost did not answer: %v, want an error saying it applied on A, not on ghost", err)
	}
	if !s.held() {
		t.Error("A did not apply the pause")
	}
}

// TestEngineShowsOtherInstances: B's TUI engine lists A's stream (by its
// ref) and A's session, from a view refreshed in the background, and
// shows a pause made through it.
func TestEngineShowsOtherInstances(t *testing.T) {
	addr := redistest.Start(t)
	up := upstream(t)
	a, b := startInstance(t, "A", addr, up), startInstance(t, "B", addr, up)
	s := openStream(t, a)
	engine := cluster.Engine{Proxy: b.p, Peers: b.peers}
	find := func(paused bool) (proxy.StreamInfo, bool) {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			for _, st := range engine.Streams() {
				if strings.HasSuffix(st.ID, "@A") && st.Session == s.session && st.Paused == paused {
					return st, true
				}
			}
		}
		return proxy.StreamInfo{}, false
	}
	st, ok := find(false)
	if !ok {
		t.Fatalf("B's engine never listed A's stream; it lists %+v", engine.Streams())
	}
	var listed bool
	for _, ss := range engine.Sessions() {
		listed = listed || (ss.ID == s.session && ss.Streams == 1)
	}
	if !listed {
		t.Errorf("B's engine sessions %+v lack A's session with its stream", engine.Sessions())
	}
	if err := engine.PauseStream(st.ID, "tui"); err != nil {
		t.Fatal(err)
	}
	if _, ok := find(true); !ok {
		t.Error("B's engine never showed A's stream paused")
	}
	if !s.held() {
		t.Error("A's stream, paused from B's engine, still flows")
	}
}
