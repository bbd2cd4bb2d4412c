package proxy

import (
	"strings"
	"testing"
)

// TestToolHeadersBounded: a hostile tools/list (schemas nested past any
// use, thousands of annotated properties, huge names) is learnt within
// bounds: no deep recursion, at most maxToolBindings per tool, no names
// past maxBindingName.
func TestToolHeadersBounded(t *testing.T) {
	deep := strings.Repeat(`{"x-mcp-header":"D","properties":{"p":`, 100_000) + `{}` + strings.Repeat(`}}`, 100_000)
	var many strings.Builder
	for i := range 1000 {
		if i > 0 {
			many.WriteByte(',')
		}
		many.WriteString(`"a` + strings.Repeat("b", i%3) + string(rune('A'+i%26)) + `":{"x-mcp-header":"H"}`)
	}
	long := strings.Repeat("n", 10_000)
	text := `{"jsonrpc":"2.0","id":1,"result":{"tools":[` +
		`{"name":"deep","inputSchema":{"properties":{"p":` + deep + `}}},` +
		`{"name":"many","inputSchema":{"properties":{` + many.String() + `}}},` +
		`{"name":"` + long + `","inputSchema":{"properties":{"x":{"x-mcp-header":"X"}}}},` +
		`{"name":"longkey","inputSchema":{"properties":{"` + long + `":{"x-mcp-header":"` + long + `"},"ok":{"x-mcp-header":"Ok"}}}}]}}`
	var th toolHeaders
	th.learn(text)
	if b, ok := th.bindings("deep"); !ok || len(b) > maxBindingDepth {
		t.Errorf("deep: %d bindings (known %v), want at most %d", len(b), ok, maxBindingDepth)
	}
	if b, _ := th.bindings("many"); len(b) != maxToolBindings {
		t.Errorf("many: %d bindings, want %d", len(b), maxToolBindings)
	}
	if _, ok := th.bindings(long); ok {
		t.Error("a tool with a 10,000-byte name was learnt")
	}
	if b, _ := th.bindings("longkey"); len(b) != 1 || b[0].header != "Ok" {
		t.Errorf("longkey: %+v, want only the short binding", b)
	}
}
