package rules

import (
	"testing"

	"github.com/mcpscope/mcpscope/filter"
	"github.com/mcpscope/mcpscope/internal/benchrules"
)

func fiftyRules(b *testing.B) *Set {
	set, err := Parse([]byte(benchrules.NoneMatching(50)), "bench.yaml")
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
