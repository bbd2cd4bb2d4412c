package rules

import (
	"fmt"
	"strings"
	"testing"

	"mcpscope/filter"
)

// fiftyRules is a realistic set of 50 rules, none of which matches a
// progress notification: tool names, methods, directions, a JSON path.
func fiftyRules(b *testing.B) *Set {
	var y strings.Builder
	for i := range 50 {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&y, "- name: r%d\n  match: tool:tool_%d*\n  action: delay\n  delay: 1s\n", i, i)
		case 1:
			fmt.Fprintf(&y, "- name: r%d\n  match: method:resources/read resource:file:///%d/*\n  action: drop\n", i, i)
		case 2:
			fmt.Fprintf(&y, "- name: r%d\n  match: dir:client method:tools/call params.arguments.n>%d\n  action: drop\n", i, i)
		case 3:
			fmt.Fprintf(&y, "- name: r%d\n  match: kind:error and status>=500 and session:s-%d\n  action: continue\n", i, i)
		case 4:
			fmt.Fprintf(&y, "- name: r%d\n  match: method:notifications/message params.level:debug%d\n  action: drop\n", i, i)
		}
	}
	set, err := Parse([]byte(y.String()), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return set
}

// BenchmarkMatchFiftyRulesNoneMatch is the per-message cost of judging a
// server→client progress notification against 50 rules that all miss.
func BenchmarkMatchFiftyRulesNoneMatch(b *testing.B) {
	set := fiftyRules(b)
	s := filter.Subject{Direction: "server_to_client", Kind: "notification", Method: "notifications/progress", Session: "s-1", Stream: "st-2",
		EventType: "message", Body: `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":5,"total":10}}`}
	b.ReportAllocs()
	for b.Loop() {
		s.Invalidate()
		if set.Match(&s) != nil {
			b.Fatal("a rule matched")
		}
	}
}
