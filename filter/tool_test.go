package filter

import "testing"

// The answer and the progress of a tools/call carry no params.name; the
// proxy names their tool in Subject.Tool, and tool:, name: and a bare word
// match it.
func TestToolMatchesTheWholeExchange(t *testing.T) {
	req := &Subject{Direction: "client_to_server", Kind: "request", Method: "tools/call", ID: "5",
		Body: `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"search_docs"}}`}
	answer := &Subject{Direction: "server_to_client", Kind: "result", Method: "tools/call", ID: "5", Tool: "search_docs",
		Body: `{"jsonrpc":"2.0","id":5,"result":{"content":[]}}`}
	prog := &Subject{Direction: "server_to_client", Kind: "notification", Method: "notifications/progress", Tool: "search_docs",
		Body: `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}`}
	other := &Subject{Direction: "server_to_client", Kind: "result", Method: "tools/call", ID: "6", Tool: "echo",
		Body: `{"jsonrpc":"2.0","id":6,"result":{}}`}
	unnamed := &Subject{Direction: "server_to_client", Kind: "result", Method: "tools/call", ID: "7",
		Body: `{"jsonrpc":"2.0","id":7,"result":{}}`}
	for _, expr := range []string{"tool:search_docs", "tool:search*", "name:search_docs", "search_docs"} {
		f := MustParse(expr)
		for _, s := range []*Subject{req, answer, prog} {
			if !f.Match(s) {
				t.Errorf("%q does not match the %s %s", expr, s.Kind, s.Method)
			}
		}
		for _, s := range []*Subject{other, unnamed} {
			if f.Match(s) {
				t.Errorf("%q matches the %s of tool %q", expr, s.Kind, s.Tool)
			}
		}
	}
}
