package proxy_test

import (
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// callInBackground calls a tool and delivers the outcome on the channel.
func callInBackground(t *testing.T, cs *mcp.ClientSession, p *mcp.CallToolParams) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(t.Context(), p)
		done <- err
	}()
	return done
}

// assertStill checks that for a while no more than n notifications of
// method reached the client and the call has not returned.
func assertStill(t *testing.T, rec *mcptest.ClientRecorder, method string, n int, call <-chan error) {
	t.Helper()
	time.Sleep(500 * time.Millisecond)
	if got := len(rec.Events(method)); got != n {
		t.Fatalf("%d %s reached the client while paused (had %d)", got-n, method, n)
	}
	select {
	case err := <-call:
		t.Fatalf("the call returned while paused (err %v)", err)
	default:
	}
}

// TestPauseDuringToolCall pauses everything while a go-sdk tools/call is
// sending progress: nothing reaches the client while paused, everything
// (in order) and the result after resume.
func TestPauseDuringToolCall(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	hs := startProxy(t, up.URL, nil)
	cs, rec := mcptest.Connect(t, t.Context(), mcpserver.Stateful, hs.URL+"/mcp", mcptest.ClientOptions{})
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 30, "interval_ms": 10}}
	p.SetProgressToken("tok")
	call := callInBackground(t, cs, p)
	if _, err := rec.WaitProgress(3, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	hs.Proxy.PauseAll("test")
	waitFor(t, func() bool {
		for _, s := range hs.Proxy.Streams() {
			if s.Kind == proxy.StreamPOST && s.State == "held" {
				return true
			}
		}
		return false
	})
	seen := len(rec.Events(mcptest.MethodProgress))
	assertStill(t, rec, mcptest.MethodProgress, seen, call)
	if seen >= 30 {
		t.Fatalf("all progress arrived before the pause took hold; the test proves nothing")
	}
	hs.Proxy.ResumeAll("test")
	if err := <-call; err != nil {
		t.Fatal(err)
	}
	evs, err := rec.WaitProgress(30, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		if e.Params.(*mcp.ProgressNotificationParams).Progress != float64(i+1) {
			t.Fatalf("progress %d out of order after resume", i)
		}
	}
}

// TestPauseSessionHoldsItsStreams pauses one session: its GET stream and a
// POST stream it opens later are held; resuming releases both.
func TestPauseSessionHoldsItsStreams(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	hs := startProxy(t, up.URL, nil)
	cs, rec := mcptest.Connect(t, t.Context(), mcpserver.Stateful, hs.URL+"/mcp", mcptest.ClientOptions{})
	var session string
	waitFor(t, func() bool {
		for _, s := range hs.Proxy.Streams() {
			if s.Kind == proxy.StreamGET {
				session = s.Session
				return true
			}
		}
		return false
	})
	if err := hs.Proxy.PauseSession(session, "test"); err != nil {
		t.Fatal(err)
	}
	// notify_later answers on the POST stream (held), then notifies on the
	// GET stream (held too).
	call := callInBackground(t, cs, &mcp.CallToolParams{Name: "notify_later", Arguments: map[string]any{"delay_ms": 10}})
	waitFor(t, func() bool {
		held := map[proxy.StreamKind]bool{}
		for _, s := range hs.Proxy.Streams() {
			if s.Session == session && s.State == "held" {
				held[s.Kind] = true
			}
		}
		return held[proxy.StreamPOST]
	})
	assertStill(t, rec, mcptest.MethodToolListChanged, 0, call)
	for _, s := range hs.Proxy.Streams() {
		if s.Session == session && !s.Paused {
			t.Errorf("stream %s (%s) of the paused session is not paused", s.ID, s.Kind)
		}
	}
	if err := hs.Proxy.ResumeSession(session, "test"); err != nil {
		t.Fatal(err)
	}
	if err := <-call; err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Wait(mcptest.MethodToolListChanged, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := hs.Proxy.PauseSession("no-such-session", "test"); err == nil {
		t.Error("pausing an unknown session succeeded")
	}
}
