package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/mcpscope/mcpscope/filter"
	"github.com/mcpscope/mcpscope/internal/benchrules"
)

var (
	idxMethods = []string{"tools/call", "TOOLS/CALL", "tools/list", "prompts/get", "resources/read", "notifications/progress", "notifications/message", ""}
	idxKinds   = []string{"request", "notification", "result", "error", "invalid"}
	idxNames   = []string{"search", "greet", "file:///a"}
	idxTerms   = []string{
		"method:%s", "method:tools/*", "method!=%s", "tool:%s", "tool:s*", "prompt:%s", "resource:%s", "name:%s",
		"dir:client", "dir:server", "kind:%s", "kind:response", "session:s-1", "status>=500", "flag:oversized",
		"params.level:debug", "params.name:%s", "progress", "search", "event:message",
	}
)

// genExpr generates a filter expression over the vocabulary above and the
// subject's own values (vals), so that rules often match.
func genExpr(t *rapid.T, vals []string, depth int) string {
	n := rapid.IntRange(0, 6).Draw(t, "node")
	if depth == 0 {
		n = 0
	}
	switch n {
	case 0, 1, 2:
		term := rapid.SampledFrom(idxTerms).Draw(t, "term")
		if strings.Contains(term, "%s") {
			term = fmt.Sprintf(term, `"`+rapid.SampledFrom(vals).Draw(t, "value")+`"`)
		}
		return term
	case 3:
		return "not " + genExpr(t, vals, depth-1)
	case 4:
		return "(" + genExpr(t, vals, depth-1) + " or " + genExpr(t, vals, depth-1) + ")"
	default:
		return "(" + genExpr(t, vals, depth-1) + " " + genExpr(t, vals, depth-1) + ")"
	}
}

// TestIndexedMatchIsFullMatch: Match, which tries only the rules the index
// says may match, returns what trying every rule returns, on generated
// rule sets and messages; and MayMatch is false only when no rule matches,
// whether the message's method is known or not.
func TestIndexedMatchIsFullMatch(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := filter.Subject{
			Direction: rapid.SampledFrom([]string{"client_to_server", "server_to_client"}).Draw(t, "dir"),
			Kind:      rapid.SampledFrom(idxKinds).Draw(t, "kind"),
			Method:    rapid.SampledFrom(idxMethods).Draw(t, "method"),
			Session:   rapid.SampledFrom([]string{"", "s-1"}).Draw(t, "session"),
			Status:    rapid.SampledFrom([]int{0, 200, 503}).Draw(t, "status"),
			EventType: rapid.SampledFrom([]string{"", "message"}).Draw(t, "event"),
		}
		name := rapid.SampledFrom(idxNames).Draw(t, "name")
		if rapid.Bool().Draw(t, "body") {
			s.Body = `{"jsonrpc":"2.0","id":1,"method":"` + s.Method + `","params":{"name":"` + name + `","uri":"` + name + `","level":"debug"}}`
		}
		vals := []string{s.Method, s.Kind, name, name + "*"}
		set := &Set{}
		for i := range rapid.IntRange(1, 8).Draw(t, "rules") {
			expr := genExpr(t, vals, 3)
			f, err := filter.Parse(expr)
			if err != nil {
				t.Fatalf("generated %q: %v", expr, err)
			}
			action := rapid.SampledFrom([]Action{Continue, Drop, Delay}).Draw(t, "action")
			set.Rules = append(set.Rules, &Rule{Name: fmt.Sprint("r", i), Match: f, Action: action})
		}
		// Twice: the second time the index answers from what it remembered.
		for range 2 {
			want := matchIn(set.Rules, &s)
			if got := set.Match(&s); !slices.Equal(got, want) {
				t.Fatalf("Match(%+v) = %v, trying every rule gives %v", s, names(got), names(want))
			}
			k := filter.FactsOf(&s)
			unknown := k
			unknown.Method, unknown.MethodKnown = rapid.SampledFrom(idxMethods).Draw(t, "other"), false
			for _, k := range []filter.Facts{k, unknown} {
				if len(want) > 0 && !set.MayMatch(k) {
					t.Fatalf("rules %v match %+v, but MayMatch(%+v) is false", names(want), s, k)
				}
			}
		}
	})
}

func names(rs []*Rule) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name+" "+r.Match.String())
	}
	return out
}

// TestMayMatchSkipsTheBenchmarkRules: none of the 50 benchmark rules can
// match a server's progress notification, and the index knows it from the
// facts alone; a rule that can match it is found.
func TestMayMatchSkipsTheBenchmarkRules(t *testing.T) {
	set, err := Parse([]byte(benchrules.NoneMatching(50)), "bench.yaml")
	if err != nil {
		t.Fatal(err)
	}
	progress := filter.Facts{Direction: "server_to_client", Kind: "notification", Method: "notifications/progress", MethodKnown: true}
	if set.MayMatch(progress) {
		t.Fatalf("the 50 benchmark rules may match a progress notification: %v", names(set.candidates(progress)))
	}
	set.Rules = append(set.Rules, &Rule{Name: "any", Match: filter.MustParse("method:notifications/*"), Action: Continue})
	set.index = index{} // the rules changed: forget what was indexed
	if !set.MayMatch(progress) {
		t.Fatal("method:notifications/* may not match a progress notification")
	}
	var nilSet *Set
	if nilSet.MayMatch(progress) {
		t.Fatal("a nil Set may match")
	}
}
