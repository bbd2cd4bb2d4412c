package stdio

import (
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/hub"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/rules"
)

// startHub serves a hub for e's proxy and returns its socket path and a
// stop that closes it (once; at cleanup if the test does not).
func startHub(t *testing.T, e *engine) (path string, stop func()) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "hub.sock")
	ln, err := hub.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &hub.Server{Proxy: e.p}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	stop = sync.OnceFunc(func() {
		s.Close()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(stop)
	return path, stop
}

// steerRecorder is a hub client that remembers the modes the hub set.
type steerRecorder struct {
	*hub.Client
	judging atomic.Bool
	changes atomic.Int64
}

func (s *steerRecorder) Run(deliver func(proxy.Direction, hub.Verdict), steer func(bool)) error {
	return s.Client.Run(deliver, func(judge bool) {
		steer(judge)
		s.judging.Store(judge)
		s.changes.Add(1)
	})
}

// awaitMode waits until the hub has set mode judge.
func (s *steerRecorder) awaitMode(t *testing.T, judge bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); s.judging.Load() != judge; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the hub never set judging=%v", judge)
		}
	}
}

// TestPauseStopsAnObservedFlood: with nothing to decide, the hub only
// observes a flood (wrap writes lines at once, showing what the hub's
// rate allows and counting the rest); a pause switches wrap to judging
// and holds the flood at the gate, the server's writes block, and after
// resume every line arrives in order. What the hub saw adds up: lines
// shown plus lines counted unobserved is every line.
func TestPauseStopsAnObservedFlood(t *testing.T) {
	e := newEngine(t)
	path, _ := startHub(t, e)
	client, err := hub.Dial(path, "flood", hub.DefaultWindow)
	if err != nil {
		t.Fatal(err)
	}
	if client.Judging() {
		t.Fatal("with no rule and no pause the hub welcomed wrap to judge lines, want observe")
	}
	judge := &steerRecorder{Client: client}
	const lines = 20000
	count := filepath.Join(t.TempDir(), "count")
	t.Setenv(mcptest.FloodLinesEnv, strconv.Itoa(lines))
	t.Setenv(mcptest.FloodCountEnv, count)
	x := startWrap(t, &Wrap{Command: mcptest.StdioServerCommand("flood"), Judge: judge})

	got := make(chan string, lines)
	go func() {
		for range lines {
			s, err := x.stdout.ReadString('\n')
			if err != nil {
				close(got)
				return
			}
			got <- s[:len(s)-1]
		}
	}()
	next := 1
	expect := func(n int) {
		t.Helper()
		for ; next <= n; next++ {
			select {
			case s := <-got:
				if s != mcptest.FloodLine(next) {
					t.Fatalf("line %d: %.60q, want the flood's line %d", next, s, next)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("line %d never came", next)
			}
		}
	}
	expect(100)
	e.p.PauseAll("test")
	judge.awaitMode(t, true)
	awaitFloodHeld(t, count, lines)
	expect(next - 1 + len(got)) // what got through before the pause took hold
	time.Sleep(100 * time.Millisecond)
	if len(got) != 0 {
		t.Fatalf("%d more lines arrived while paused", len(got))
	}
	e.p.ResumeAll("test")
	judge.awaitMode(t, false)
	expect(lines)

	var shown, unobserved int64
	for deadline := time.Now().Add(10 * time.Second); shown+unobserved < lines; time.Sleep(20 * time.Millisecond) {
		shown, unobserved = 0, 0
		e.mu.Lock()
		for _, o := range e.seen {
			switch {
			case o.Type == proxy.TypeMessage && o.Direction == proxy.ServerToClient:
				shown++
			case o.Type == proxy.TypeNotice && o.Has("unobserved"):
				unobserved += o.Events
			}
		}
		e.mu.Unlock()
		if time.Now().After(deadline) {
			break
		}
	}
	if shown+unobserved != lines {
		t.Errorf("the hub showed %d lines and counted %d unobserved: %d, want all %d", shown, unobserved, shown+unobserved, lines)
	}
	t.Logf("shown %d, counted unobserved %d", shown, unobserved)
}

// TestRuleLoadedMidSessionApplies: a session the hub only observes
// starts being judged once a rule loads, and observed again once the
// rules are cleared.
func TestRuleLoadedMidSessionApplies(t *testing.T) {
	e := newEngine(t)
	path, _ := startHub(t, e)
	client, err := hub.Dial(path, "quiet", hub.DefaultWindow)
	if err != nil {
		t.Fatal(err)
	}
	judge := &steerRecorder{Client: client}
	t.Setenv(mcptest.FloodLinesEnv, "0") // a server that reads and never answers
	x := startWrap(t, &Wrap{Command: mcptest.StdioServerCommand("flood"), Judge: judge})
	call := func(id int) string {
		return `{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"method":"tools/call","params":{"name":"echo"}}`
	}
	x.send(t, call(1)) // observed, forwarded, never answered
	e.await(t, 1, func(o *proxy.Observation) bool { return o.Type == proxy.TypeMessage && o.Method == "tools/call" })

	set, err := rules.Parse([]byte("rules:\n  - name: mock calls\n    match: method:tools/call\n    action: mock\n    result: {content: []}\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.p.SetRules(set)
	judge.awaitMode(t, true)
	x.send(t, call(2))
	if got := x.line(t); got != `{"jsonrpc":"2.0","id":2,"result":{"content":[]}}` {
		t.Errorf("answer to a call after the rule loaded: %s, want the mock's", got)
	}
	e.p.SetRules(nil)
	judge.awaitMode(t, false)
	if n := judge.changes.Load(); n != 2 {
		t.Errorf("the hub changed the mode %d times, want 2 (judge, then observe)", n)
	}
}
