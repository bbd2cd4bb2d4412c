package filter

import (
	"testing"

	"pgregory.net/rapid"
)

// The vocabularies are small so that generated filters and subjects meet:
// most generated pairs share a method, a kind or a name.
var (
	genMethods    = []string{"tools/call", "Tools/Call", "tools/list", "prompts/get", "resources/read", "resources/list", "notifications/progress", "notifications/message", "initialize", "", "5", "12.5"}
	genKinds      = []string{"request", "notification", "result", "error", "invalid", ""}
	genDirections = []string{"client_to_server", "server_to_client"}
	genNames      = []string{"search", "search_docs", "file:///a", "greet", ""}
	genValues     = []string{"tools/call", "tools/*", "*call", "resources/*", "notifications/progress", "search*", "search_docs", "file:///*", "greet", "*", "request", "response", "notification", "result", "error", "5", "10", "st-1", "s-*", "oversized", "debug", "client", "server", ""}
	genKeys       = []string{"method", "m", "tool", "prompt", "resource", "name", "dir", "kind", "session", "stream", "id", "event", "flag", "op", "status", "params.name", "params.level", "result.x"}
	genOps        = []string{":", "=", "!=", ">", ">=", "<", "<="}
	genWords      = []string{"tools", "call", "progress", "request", "search", "st-1", "oversized", "message"}
)

// genFilter generates a filter expression that parses; its values are
// drawn from the vocabulary and from what the subject it will meet holds
// (near, a method, name and kind), so that many terms match.
func genFilter(t *rapid.T, near []string) *Filter {
	values := append(append([]string(nil), genValues...), near...)
	for {
		text := genExpr(t, 3, values)
		if f, err := Parse(text); err == nil {
			return f
		}
	}
}

func genExpr(t *rapid.T, depth int, values []string) string {
	choice := rapid.IntRange(0, 9).Draw(t, "node")
	if depth == 0 {
		choice = rapid.IntRange(0, 4).Draw(t, "leaf")
	}
	switch choice {
	case 0, 1, 2:
		key := rapid.SampledFrom(genKeys).Draw(t, "key")
		op := rapid.SampledFrom(genOps).Draw(t, "op")
		if key == "dir" {
			return key + op + rapid.SampledFrom([]string{"client", "server", "up", "s2c"}).Draw(t, "dir")
		}
		return key + op + `"` + rapid.SampledFrom(values).Draw(t, "value") + `"`
	case 3:
		return rapid.SampledFrom(genWords).Draw(t, "word")
	case 4:
		return "kind:" + rapid.SampledFrom(genKinds[:5]).Draw(t, "kind")
	case 5:
		return "not " + genExpr(t, depth-1, values)
	case 6, 7:
		return "(" + genExpr(t, depth-1, values) + " " + genExpr(t, depth-1, values) + ")"
	default:
		return "(" + genExpr(t, depth-1, values) + " or " + genExpr(t, depth-1, values) + ")"
	}
}

// genSubject generates a subject whose body, when it has one, is a message
// consistent with its method and name (or not: bodies are free to lie).
func genSubject(t *rapid.T) (s *Subject, near []string) {
	s = &Subject{
		Direction: rapid.SampledFrom(genDirections).Draw(t, "direction"),
		Kind:      rapid.SampledFrom(genKinds).Draw(t, "kind"),
		Method:    rapid.SampledFrom(genMethods).Draw(t, "method"),
		ID:        rapid.SampledFrom([]string{"", "7", `"a"`}).Draw(t, "id"),
		Session:   rapid.SampledFrom([]string{"", "s-1", "sess"}).Draw(t, "session"),
		Stream:    rapid.SampledFrom([]string{"", "st-1"}).Draw(t, "stream"),
		EventType: rapid.SampledFrom([]string{"", "message"}).Draw(t, "event"),
		Status:    rapid.SampledFrom([]int{0, 200, 404, 500}).Draw(t, "status"),
	}
	if rapid.Bool().Draw(t, "hasTool") {
		s.Tool = rapid.SampledFrom(genNames).Draw(t, "tool")
	}
	if rapid.Bool().Draw(t, "flagged") {
		s.Flags = []string{"oversized"}
	}
	name := rapid.SampledFrom(genNames).Draw(t, "bodyName")
	switch rapid.IntRange(0, 4).Draw(t, "body") {
	case 1:
		s.Body = `{"jsonrpc":"2.0","id":7,"method":"` + s.Method + `","params":{"name":"` + name + `","level":"debug"}}`
	case 2:
		s.Body = `{"jsonrpc":"2.0","id":7,"method":"` + s.Method + `","params":{"uri":"` + name + `"}}`
	case 3:
		s.Body = `{"jsonrpc":"2.0","id":7,"result":{"x":10}}`
	case 4:
		s.Body = `{"jsonrpc":"2.0","id":7,"method":"` + s.Method + `","params":{"name":"` + name + `","uri":"` + name + `"}}`
	}
	return s, []string{s.Method, name, name + "*", s.Kind, s.Tool}
}

// TestMayMatchNeverSkipsAMatch is the pre-filter's contract: a filter
// that matches a subject may match its facts, whether its method is known
// or not. And where eval says a filter matches every subject with some
// facts, it matches this one.
func TestMayMatchNeverSkipsAMatch(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, near := genSubject(t)
		for range 30 { // many filters per subject: a check costs little
			checkMayMatch(t, genFilter(t, near), s)
		}
	})
}

func checkMayMatch(t *rapid.T, f *Filter, s *Subject) {
	matched := f.Match(s)
	known := FactsOf(s)
	unknownMethod := known
	unknownMethod.Method, unknownMethod.MethodKnown = rapid.SampledFrom(genMethods).Draw(t, "otherMethod"), false
	for _, k := range []Facts{known, unknownMethod} {
		if matched && !f.MayMatch(k) {
			t.Fatalf("%q matches %+v, but MayMatch(%+v) is false", f, *s, k)
		}
		if f.root == nil {
			continue
		}
		switch v := eval(f.root, &k); {
		case v == yes && !matched:
			t.Fatalf("%q does not match %+v, but eval(%+v) says it matches all", f, *s, k)
		case v == no && matched:
			t.Fatalf("%q matches %+v, but eval(%+v) says it matches none", f, *s, k)
		}
	}
}

// TestMayMatchSkips shows the pre-filter does skip what the rules of a
// typical file cannot match (it is not a filter that always says maybe).
func TestMayMatchSkips(t *testing.T) {
	progress := Facts{Direction: "server_to_client", Kind: "notification", Method: "notifications/progress", MethodKnown: true}
	answer := Facts{Direction: "server_to_client", Kind: "result"}
	cases := []struct {
		expr             string
		progress, answer bool // MayMatch of each
	}{
		{"tool:tool_1*", false, true},
		{"method:resources/read resource:file:///1/*", false, true},
		{"dir:client method:tools/call params.arguments.n>1", false, false},
		{"kind:error and status>=500 and session:s-1", false, false},
		{"method:notifications/message params.level:debug", false, true},
		{"method:notifications/*", true, true},
		{"progress", true, true},
		{"not method:tools/call", true, true},
		{"session:s-1", true, true},
		{"prompt:greet or kind:request", false, true},
		{"kind:response", false, true},
		{"", true, true},
	}
	for _, c := range cases {
		f := MustParse(c.expr)
		if got := f.MayMatch(progress); got != c.progress {
			t.Errorf("%q MayMatch(progress) = %v, want %v", c.expr, got, c.progress)
		}
		if got := f.MayMatch(answer); got != c.answer {
			t.Errorf("%q MayMatch(unlinked answer) = %v, want %v", c.expr, got, c.answer)
		}
	}
}
