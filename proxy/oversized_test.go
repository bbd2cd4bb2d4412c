package proxy_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"mcpscope/proxy"
)

// TestOversizedJSONAnswerIsTold has the upstream answer with a JSON body
// one byte past the parse limit. The client must get it byte for byte, and
// the bus must tell of it: a message flagged "oversized" with its size, id
// and method (it once left no trace at all).
func TestOversizedJSONAnswerIsTold(t *testing.T) {
	const limit = 1 << 20
	head := `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"`
	tail := `"}]}}`
	answer := head + strings.Repeat("x", limit+1-len(head)-len(tail)) + tail
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
	if !o.Has("oversized") || o.Size != len(answer) || o.ID != "7" || o.Kind != proxy.KindResult || o.Method != "tools/call" || o.RequestSeq == 0 {
		t.Errorf("oversized answer told as flags %v size %d id %s kind %q method %q request_seq %d; want oversized, %d bytes, id 7, a result of tools/call linked to its request",
			o.Flags, o.Size, o.ID, o.Kind, o.Method, o.RequestSeq, len(answer))
	}
}
