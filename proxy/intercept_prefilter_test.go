package proxy_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/internal/benchrules"
	"github.com/mcpscope/mcpscope/proxy"
)

// TestRulesPrefilterKeepsObservations: with rules in force, an event no
// rule can match is observed off the data path (the rules index says so
// from its method) and one a rule may match is judged at once; the client
// gets the bytes unchanged, every event is observed in the order sent,
// described as without rules, and only the matched one carries a decision.
func TestRulesPrefilterKeepsObservations(t *testing.T) {
	var stream strings.Builder
	for i := 1; i <= 40; i++ {
		msg := fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":%d}}`, i)
		if i%7 == 0 {
			msg = fmt.Sprintf(`{"jsonrpc":"2.0","id":"s%d","method":"sampling/createMessage","params":{"maxTokens":%d}}`, i, i)
		}
		fmt.Fprintf(&stream, "id: %d\nevent: message\ndata: %s\n\n", i, msg)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, stream.String())
	})
	yaml := benchrules.NoneMatching(50) + "- name: sampling seen\n  match: method:sampling/*\n  action: continue\n"
	for _, withRulesOn := range []bool{false, true} {
		configure := func(*proxy.Proxy) {}
		if withRulesOn {
			configure = withRules(t, yaml)
		}
		hs := through(t, h, configure)
		resp, err := hs.Client.Get(hs.URL + "/mcp")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != stream.String() {
			t.Fatalf("rules %v: the client got other bytes than the upstream sent", withRulesOn)
		}
		events := hs.Seen.Await(t, 40, func(o *proxy.Observation) bool { return o.Type == proxy.TypeSSEEvent })
		for i, o := range events {
			n := i + 1
			wantMethod := "notifications/progress"
			if n%7 == 0 {
				wantMethod = "sampling/createMessage"
			}
			if o.EventID != fmt.Sprint(n) || o.Method != wantMethod || o.Body == "" {
				t.Fatalf("rules %v: event %d observed as id %q method %q body %q, want id %d method %s", withRulesOn, i, o.EventID, o.Method, o.Body, n, wantMethod)
			}
			decided := o.Decision != nil && o.Decision.Action == "continue" && o.Decision.Rules[0] == "sampling seen"
			if want := withRulesOn && n%7 == 0; decided != want {
				t.Errorf("rules %v: event %d (%s) has decision %+v, want one: %v", withRulesOn, n, o.Method, o.Decision, want)
			}
		}
	}
}
