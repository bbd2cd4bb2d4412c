package proxy_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestNegotiatedVersionIsTheResults: a session speaks the version the
// server's initialize result names, not the one the client asked for:
// the store and the session list say so, whether the result came as JSON
// or on an SSE stream.
func TestNegotiatedVersionIsTheResults(t *testing.T) {
	for _, sse := range []bool{false, true} {
		t.Run(fmt.Sprint("sse=", sse), func(t *testing.T) {
			hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				result := `{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"older","version":"1"}}}`
				w.Header().Set("Mcp-Session-Id", "u1")
				if sse {
					w.Header().Set("Content-Type", "text/event-stream")
					fmt.Fprintf(w, "event: message\ndata: %s\n\n", result)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, result)
			}), nil)
			req, _ := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			resp, err := hs.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			id := resp.Header.Get("Mcp-Session-Id")
			sess, err := hs.Proxy.Store.Get(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if sess.ProtocolVersion != "2025-06-18" {
				t.Errorf("stored version %q, want the result's 2025-06-18", sess.ProtocolVersion)
			}
			listed := ""
			for _, s := range hs.Proxy.Sessions() {
				if s.ID == id {
					listed = s.Protocol
				}
			}
			if listed != "2025-06-18" {
				t.Errorf("listed version %q, want 2025-06-18", listed)
			}
		})
	}
}
