package filter

import (
	"errors"
	"strings"
	"testing"
)

var (
	call = &Subject{Direction: "client_to_server", Kind: "request", Method: "tools/call", ID: "7", Session: "sess-1", Status: 200, Operation: "op-1",
		Body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search_docs","arguments":{"query":"mcp","count":12,"exact":false}}}`}
	progress = &Subject{Direction: "server_to_client", Kind: "notification", Method: "notifications/progress", Session: "sess-1",
		Stream: "st-3", EventType: "message", Status: 200, Operation: "op-1",
		Body: `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":5,"total":10}}`}
	failed = &Subject{Direction: "server_to_client", Kind: "error", Method: "tools/call", ID: `"a"`, Session: "sess-2", Status: 404,
		Flags: []string{"oversized"}, Body: `{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"Method not found"}}`}
	read = &Subject{Direction: "client_to_server", Kind: "request", Method: "resources/read", ID: "9",
		Body: `{"jsonrpc":"2.0","id":9,"method":"resources/read","params":{"uri":"file:///etc/hosts"}}`}
)

func TestMatch(t *testing.T) {
	all := []*Subject{call, progress, failed, read}
	cases := []struct {
		expr string
		want []*Subject
	}{
		{"", all},
		{"method:tools/call", []*Subject{call, failed}},
		{"method:TOOLS/*", []*Subject{call, failed}},
		{"method:notifications/*", []*Subject{progress}},
		{"m:tools/?all", []*Subject{call, failed}},
		{"tool:search*", []*Subject{call}},
		{"tool:search", nil},
		{"resource:file:///*", []*Subject{read}},
		{"name:*hosts", []*Subject{read}},
		{"dir:client", []*Subject{call, read}},
		{"dir:server kind:notification", []*Subject{progress}},
		{"kind:response", []*Subject{failed}},
		{"!dir:client", []*Subject{progress, failed}},
		{"-dir:client", []*Subject{progress, failed}},
		{"not method:tools/call", []*Subject{progress, read}},
		{"method:tools/call and not kind:error", []*Subject{call}},
		{"kind:error or event:message", []*Subject{progress, failed}},
		{"kind:error || (dir:client && tool:search_docs)", []*Subject{call, failed}},
		{"session:sess-1", []*Subject{call, progress}},
		{"stream:st-*", []*Subject{progress}},
		{"op:op-1", []*Subject{call, progress}},
		{"operation:OP-*", []*Subject{call, progress}},
		{"op:op-2", nil},
		{"!op:op-1", []*Subject{failed, read}},
		{"id:a", []*Subject{failed}},
		{"id:7", []*Subject{call}},
		{"status>=400", []*Subject{failed}},
		{"status:200", []*Subject{call, progress}},
		{"status!=200", []*Subject{failed, read}},
		{"flag:oversized", []*Subject{failed}},
		{"params.arguments.count>10", []*Subject{call}},
		{"params.arguments.count<=10", nil},
		{"params.arguments.exact:false", []*Subject{call}},
		{"params.progress=5", []*Subject{progress}},
		{"params.arguments.query:mc*", []*Subject{call}},
		{"error.code:-32601", []*Subject{failed}},
		{"error.message:\"method not found\"", []*Subject{failed}},
		{"body.jsonrpc:2.0", all},
		{"params.arguments:*", []*Subject{call}},
		{"progress", []*Subject{progress}},
		{"SEARCH_docs", []*Subject{call}},
		{`"tools/call"`, []*Subject{call, failed}},
		{"oversized", []*Subject{failed}},
	}
	for _, c := range cases {
		f, err := Parse(c.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.expr, err)
			continue
		}
		var got []*Subject
		for _, s := range all {
			s.Invalidate()
			if f.Match(s) {
				got = append(got, s)
			}
		}
		if !same(got, c.want) {
			t.Errorf("%q matched %s, want %s", c.expr, names(got), names(c.want))
		}
	}
}

func same(a, b []*Subject) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func names(ss []*Subject) string {
	var n []string
	for _, s := range ss {
		n = append(n, s.Method+"/"+s.Kind)
	}
	return "[" + strings.Join(n, " ") + "]"
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"methd:x":            `unknown key "methd"`,
		"status>abc":         "needs a number",
		"status:abc":         "status needs a number",
		"dir:sideways":       "dir is client or server",
		"(method:x":          "missing )",
		"method:x)":          `unexpected ")"`,
		"not":                "ends too soon",
		`method:"unfinished`: "unterminated",
		":x":                 "no key before",
		"method:x or":        "ends too soon",
		"params.count>":      "needs a value",
	}
	for expr, want := range cases {
		_, err := Parse(expr)
		var fe *Error
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "column") {
			t.Errorf("Parse(%q) = %v, want an error with a column saying %q", expr, err, want)
		}
	}
}

func TestGlobFold(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*", "ABC", true}, {"*c", "abc", true}, {"a?c", "aXc", true}, {"a*b*c", "a12b34c", true},
		{"a*b", "a12c", false}, {"abc", "ab", false}, {"*/*", "tools/call", true}, {"**a", "bba", true},
	}
	for _, c := range cases {
		if got := compileGlob(c.p).match(c.s); got != c.want {
			t.Errorf("glob %q against %q: %v", c.p, c.s, got)
		}
	}
}

// TestCheapFieldsFirst checks that a filter failing on the method never
// decodes the body.
func TestCheapFieldsFirst(t *testing.T) {
	f := MustParse("params.arguments.count>1 method:ping")
	s := *call
	s.Invalidate()
	if f.Match(&s) || s.decoded {
		t.Errorf("the body was decoded although the method already failed")
	}
}

// FuzzParse: no expression panics or exhausts the stack (issue 14: 1.5
// million nested "(" did), and every parsed filter matches without
// panicking. The seeds include nesting far past MaxDepth.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"method:tools/call and not (kind:error or status>=400)", `tool:"a b" -x !y`, "params.a.0.b<=3", "((a)",
		"method:*a?b*c* or *", strings.Repeat("(", 5000), strings.Repeat("!", 5000) + "x", strings.Repeat("not ", 1000) + "x",
		strings.Repeat("(", MaxDepth) + "a" + strings.Repeat(")", MaxDepth), strings.Repeat("(", MaxDepth+1) + "a" + strings.Repeat(")", MaxDepth+1),
		strings.Repeat("-(", 40) + "a" + strings.Repeat(")", 40), strings.Repeat("a or ", 300) + "b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := Parse(expr)
		if err != nil {
			return
		}
		if len(expr) > MaxLen {
			t.Fatalf("a %d-byte filter parsed", len(expr))
		}
		for _, s := range []*Subject{call, progress, failed, read} {
			c := *s
			c.Invalidate()
			flt.Match(&c)
		}
	})
}

// FuzzGlob: the glob matcher agrees with a regular expression built from
// the glob (ASCII, where a byte is a character).
func FuzzGlob(f *testing.F) {
	for _, seed := range [][2]string{{"*", ""}, {"a*b?c", "AxxbYc"}, {"*ab*ab*", "abab"}, {"**a**", "a"}, {"?*?", "x"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !isASCII(pattern) || !isASCII(s) || len(pattern) > 256 { // past 64 bytes a segment takes several words
			return
		}
		pattern = strings.ToLower(pattern)
		if got, want := compileGlob(pattern).match(s), globRegexp(pattern).MatchString(s); got != want {
			t.Fatalf("glob %q against %q: %v, want %v", pattern, s, got, want)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func BenchmarkNoMatch(b *testing.B) {
	f := MustParse("method:tools/call tool:delete_* dir:client")
	s := *progress
	b.ReportAllocs()
	for b.Loop() {
		s.decoded = false
		if f.Match(&s) {
			b.Fatal("matched")
		}
	}
}
