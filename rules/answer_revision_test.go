package rules

import "testing"

// TestCompleteResult: the fields 2026-07-28 requires are put first where
// absent, the rule's own bytes kept; present ones and non-objects are left
// alone.
func TestCompleteResult(t *testing.T) {
	cases := []struct{ in, method, want string }{
		{`{"content":[]}`, "tools/call", `{"resultType":"complete","content":[]}`},
		{`{}`, "tools/call", `{"resultType":"complete"}`},
		{` { } `, "ping", `{"resultType":"complete" }`},
		{`{"tools":[],"b":1,"a":12345678901234567890}`, "tools/list", `{"resultType":"complete","ttlMs":0,"cacheScope":"private","tools":[],"b":1,"a":12345678901234567890}`},
		{`{"resultType":"input_required","ttlMs":5}`, "resources/read", `{"cacheScope":"private","resultType":"input_required","ttlMs":5}`},
		{`{"resultType":"complete","ttlMs":1,"cacheScope":"public"}`, "prompts/list", `{"resultType":"complete","ttlMs":1,"cacheScope":"public"}`},
		{`[1,2]`, "tools/call", `[1,2]`},
		{`"x"`, "tools/call", `"x"`},
	}
	for _, c := range cases {
		if got := string(CompleteResult([]byte(c.in), c.method)); got != c.want {
			t.Errorf("CompleteResult(%s, %s) = %s, want %s", c.in, c.method, got, c.want)
		}
	}
}

// TestStatusForCode follows the 2026-07-28 table.
func TestStatusForCode(t *testing.T) {
	for code, want := range map[int]int{-32601: 404, -32602: 400, -32020: 400, -32021: 400, -32022: 400, -32603: 200, -31001: 200, -32001: 200} {
		if got := StatusForCode(code); got != want {
			t.Errorf("StatusForCode(%d) = %d, want %d", code, got, want)
		}
	}
}
