package proxy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// TestStopHoldingReleasesServerEvents: a held server→client event goes on
// unchanged when mcpscope stops holding (its stream delivers it and the
// rest, in order), and a breakpoint matched after the stop holds nothing.
func TestStopHoldingReleasesServerEvents(t *testing.T) {
	hs := startProxy(t, startUpstream(t, tenEvents()).URL, withRules(t, `
- name: hold the third
  match: params.progress=3
  action: breakpoint
  timeout: 1h
`))
	got := make(chan []string, 1)
	go func() { evs, _ := sseFrom(t, hs); got <- evs }()
	waitFor(t, func() bool { return len(hs.Proxy.Held()) == 1 })
	if n := hs.Proxy.StopHolding("test"); n != 1 {
		t.Errorf("StopHolding decided %d held messages, want 1", n)
	}
	select {
	case evs := <-got:
		if len(evs) != 10 {
			t.Fatalf("got %d events after the stop, want all 10", len(evs))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream still waits 10 s after StopHolding")
	}
	if len(hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Type == proxy.TypeDecision && o.Decision != nil && strings.HasSuffix(o.Decision.Note, ": stopped by test")
	})) != 1 {
		t.Error("no decision says the breakpoint ended with the stop")
	}
	// After the stop, a second stream's third event is not held.
	go func() { evs, _ := sseFrom(t, hs); got <- evs }()
	select {
	case evs := <-got:
		if len(evs) != 10 || len(hs.Proxy.Held()) != 0 {
			t.Errorf("after the stop: %d events, %d held; want 10 and none", len(evs), len(hs.Proxy.Held()))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a breakpoint held a message after StopHolding")
	}
}

// TestStopHoldingAnswersServerRequests: a held server→client request
// (sampling) is answered to the server, in the client's place, with the
// stopped error: the tool call that asked ends with it instead of hanging.
func TestStopHoldingAnswersServerRequests(t *testing.T) {
	_, hs, cs, rec := sdkThrough(t, mcpserver.Stateful, `
- name: hold sampling
  match: method:sampling/createMessage kind:request
  action: breakpoint
  timeout: 1h
`)
	done := mcptest.SampleInBackground(t, cs)
	waitFor(t, func() bool { return len(hs.Proxy.Held()) == 1 })
	hs.Proxy.StopHolding("")
	select {
	case got := <-done:
		if !strings.Contains(got, proxy.StoppedMessage) {
			t.Errorf("the tool call ended with %q, want the sampling to have failed with %q", got, proxy.StoppedMessage)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the tool call still hangs 10 s after StopHolding")
	}
	if n := len(rec.Events(mcptest.MethodSampling)); n != 0 {
		t.Errorf("the client got the held sampling request %d times", n)
	}
}
