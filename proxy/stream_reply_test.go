package proxy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// awaitSample waits (up to 10 s) for the sample tool's call to end and
// returns what it ended with.
func awaitSample(t *testing.T, done <-chan string, what string) string {
	t.Helper()
	select {
	case got := <-done:
		return got
	case <-time.After(10 * time.Second):
		t.Fatalf("the tool call still hangs 10 s after %s", what)
		return ""
	}
}

// TestReplyToServerIsNotJudged is issue 14's review: the error mcpscope
// sends the server in the client's place went through the rules, so a rule
// on client errors held, delayed or dropped it, and the server's tool call
// hung. The reply is published (flagged by_mcpscope) but no rule judges it.
func TestReplyToServerIsNotJudged(t *testing.T) {
	for name, rule := range map[string]string{
		"breakpoint": "action: breakpoint",
		"delay":      "action: delay\n  delay: 20s",
		"drop":       "action: drop",
		"block":      "action: block",
	} {
		t.Run(name, func(t *testing.T) {
			up, hs, cs, rec := sdkThrough(t, mcpserver.Stateful, holdSampling+`
- name: client errors
  match: dir:client kind:error
  `+rule+`
`)
			done := mcptest.SampleInBackground(t, cs)
			var held []proxy.HeldInfo
			waitFor(t, func() bool { held = hs.Proxy.Held(); return len(held) == 1 })
			if err := hs.Proxy.FailHeld(held[0].ID, "test"); err != nil {
				t.Fatal(err)
			}
			if got := awaitSample(t, done, "its sampling request was failed"); !strings.Contains(got, "sampling refused at the breakpoint") {
				t.Errorf("the tool call ended with %q, want the server's CreateMessage to have failed with the rule's error", got)
			}
			if held := hs.Proxy.Held(); len(held) != 0 {
				t.Errorf("held %+v, want nothing: the reply is not judged", held)
			}
			if n := len(rec.Events(mcptest.MethodSampling)); n != 0 {
				t.Errorf("the client got the failed sampling request %d times", n)
			}
			if got := up.Responses(); len(got) != 1 {
				t.Errorf("the upstream got the answers %v, want the one error", got)
			}
			replies := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
				return o.Direction == proxy.ClientToServer && o.Kind == proxy.KindError
			})
			if len(replies) != 1 || !replies[0].Has("by_mcpscope") || replies[0].Decision != nil {
				t.Errorf("the reply was observed as %+v, want one client error flagged by_mcpscope with no rule's decision", replies)
			}
		})
	}
}

// TestRuleAnswersServerRequest is issue 14's review: block and mock on a
// server→client request dropped it, so the server waited for an answer
// that never came. The rule's answer now goes to the server in the
// client's place, and the client never sees the request.
func TestRuleAnswersServerRequest(t *testing.T) {
	for _, tc := range []struct{ name, rule, want string }{
		{"block", "action: block\n  error: {code: -32042, message: \"no sampling here\"}", "no sampling here"},
		{"mock", "action: mock\n  result: {role: assistant, model: m, content: {type: text, text: mocked sample}}", "mocked sample"},
	} {
		for _, kind := range []mcpserver.Kind{mcpserver.Stateful, mcpserver.LegacySSE} {
			t.Run(tc.name+"/"+string(kind), func(t *testing.T) {
				up, hs, cs, rec := sdkThrough(t, kind, `
- name: sampling
  match: method:sampling/createMessage kind:request
  `+tc.rule+`
`)
				done := mcptest.SampleInBackground(t, cs)
				if got := awaitSample(t, done, "a rule answered its sampling request"); !strings.Contains(got, tc.want) {
					t.Errorf("the tool call ended with %q, want %q from the rule", got, tc.want)
				}
				if n := len(rec.Events(mcptest.MethodSampling)); n != 0 {
					t.Errorf("the client got the sampling request %d times", n)
				}
				if got := up.Responses(); len(got) != 1 {
					t.Errorf("the upstream got the answers %v, want the rule's one", got)
				}
				requests := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
					return o.Direction == proxy.ServerToClient && o.Kind == proxy.KindRequest && o.Decision != nil
				})
				answers := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
					return o.Direction == proxy.ClientToServer && o.Has("by_mcpscope")
				})
				if len(requests) != 1 || len(answers) != 1 || answers[0].RequestSeq != requests[0].Seq || answers[0].Method != mcptest.MethodSampling {
					t.Errorf("requests %+v, answers %+v: want the rule's answer linked to the sampling request", requests, answers)
				}
			})
		}
	}
}
