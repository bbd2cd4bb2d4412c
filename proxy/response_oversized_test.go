package proxy_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestOversizedJSONAnswerIsTold has the upstream answer with a JSON body
// one byte past the parse limit: a message, a batch, and a body that is no
// JSON-RPC at all. The client must get it byte for byte, and the bus must
// tell of it: a message flagged "oversized" with its size, and the id,
// method and kind its first bytes show (it once left no trace at all; then
// a batch or a body that shows nothing was told with no kind).
func TestOversizedJSONAnswerIsTold(t *testing.T) {
	const limit = 1 << 20
	cases := []struct {
		name, head, tail string
		kind             proxy.MessageKind
		id, method       string
	}{
		{"message", `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"`, `"}]}}`, proxy.KindResult, "7", "tools/call"},
		{"batch", `[{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"`, `"}]}}]`, proxy.KindResult, "7", "tools/call"},
		{"no JSON-RPC", `"`, `"`, proxy.KindInvalid, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			answer := c.head + strings.Repeat("x", limit+1-len(c.head)-len(c.tail)) + c.tail
			hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, answer)
			}), func(p *proxy.Proxy) { p.MaxJSONResponse = limit })
			resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json",
				strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"big"}}`))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(got) != answer {
				t.Fatalf("client got %d bytes (err %v), want the %d the upstream sent", len(got), err, len(answer))
			}
			told := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
				return o.Type == proxy.TypeMessage && o.Direction == proxy.ServerToClient
			})
			if len(told) != 1 {
				t.Fatalf("%d server→client messages, want 1 for the oversized answer", len(told))
			}
			o := told[0]
			linked := c.method == "" || o.RequestSeq != 0
			if !o.Has("oversized") || o.Size != len(answer) || string(o.ID) != c.id || o.Kind != c.kind || o.Method != c.method || !linked {
				t.Errorf("oversized answer told as flags %v size %d id %s kind %q method %q request_seq %d; want oversized, %d bytes, id %q, kind %q, method %q (linked to its request if any)",
					o.Flags, o.Size, o.ID, o.Kind, o.Method, o.RequestSeq, len(answer), c.id, c.kind, c.method)
			}
		})
	}
}
