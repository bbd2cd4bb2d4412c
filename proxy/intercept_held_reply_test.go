package proxy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

const holdSampling = `
- name: hold sampling
  match: method:sampling/createMessage kind:request
  action: breakpoint
  timeout: 30s
  error: {code: -32042, message: "sampling refused at the breakpoint"}
`

// TestFailHeldServerRequestAnswersServer is issue 14: failing a held
// server→client request (sampling) said ok but sent the server nothing,
// so its tool call hung until the client gave up. The error now goes to
// the upstream in the session, as the client would send it, and the held
// request never reaches the client.
func TestFailHeldServerRequestAnswersServer(t *testing.T) {
	for _, kind := range []mcpserver.Kind{mcpserver.Stateful, mcpserver.StatefulJSON, mcpserver.LegacySSE} {
		t.Run(string(kind), func(t *testing.T) {
			up, hs, cs, rec := sdkThrough(t, kind, holdSampling)
			done := mcptest.SampleInBackground(t, cs)
			var held []proxy.HeldInfo
			waitFor(t, func() bool { held = hs.Proxy.Held(); return len(held) == 1 })
			if held[0].Method != "sampling/createMessage" || held[0].Direction != proxy.ServerToClient {
				t.Fatalf("held %+v, want the sampling request", held[0])
			}
			if err := hs.Proxy.FailHeld(held[0].ID, "test"); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-done:
				if !strings.Contains(got, "sampling refused at the breakpoint") {
					t.Errorf("the tool call ended with %q, want the server's CreateMessage to have failed with the rule's error", got)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the tool call still hangs 10 s after its sampling request was failed")
			}
			if n := len(rec.Events(mcptest.MethodSampling)); n != 0 {
				t.Errorf("the client got the failed sampling request %d times", n)
			}
			if got := up.Responses(); len(got) != 1 {
				t.Errorf("the upstream got the answers %v, want the one error", got)
			}
			answers := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
				return o.Direction == proxy.ClientToServer && o.Kind == proxy.KindError && o.RequestSeq == held[0].Seq
			})
			if answers[0].Method != "sampling/createMessage" {
				t.Errorf("the error sent upstream is labelled %q, want the held request's method", answers[0].Method)
			}
		})
	}
}

// TestEditedServerRequestAnswerCarriesEditedMethod: a held server→client
// request resumed with another method; the client's answer is labelled with
// the method it answered.
func TestEditedServerRequestAnswerCarriesEditedMethod(t *testing.T) {
	_, hs, cs, _ := sdkThrough(t, mcpserver.Stateful, holdSampling)
	done := mcptest.SampleInBackground(t, cs)
	var held []proxy.HeldInfo
	waitFor(t, func() bool { held = hs.Proxy.Held(); return len(held) == 1 })
	edited := strings.Replace(held[0].Message, `"sampling/createMessage"`, `"ping"`, 1)
	if err := hs.Proxy.ResumeHeld(held[0].ID, edited, "test"); err != nil {
		t.Fatal(err)
	}
	select { // the server gets a ping's answer to its sampling request: whatever it makes of it
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the tool call still hangs 10 s after its edited sampling request was resumed")
	}
	answers := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Direction == proxy.ClientToServer && o.Kind == proxy.KindResult && o.RequestSeq == held[0].Seq
	})
	if answers[0].Method != "ping" {
		t.Errorf("the client's answer to the edited request is labelled %q, want ping", answers[0].Method)
	}
}
