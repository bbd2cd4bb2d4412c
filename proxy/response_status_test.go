package proxy_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStatusPassthrough checks that error and non-200 answers reach the
// client with their status, headers and body unchanged.
func TestStatusPassthrough(t *testing.T) {
	for _, status := range []int{202, 400, 404, 405, 406, 409, 415} {
		body := `{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"status ` + http.StatusText(status) + `"}}`
		hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Upstream", "yes")
			if status == 202 {
				w.WriteHeader(status)
				return
			}
			if status == 405 {
				w.Header().Set("Allow", "POST")
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
		}), nil)
		resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != status || resp.Header.Get("X-Upstream") != "yes" {
			t.Errorf("status %d: client got %d (X-Upstream %q)", status, resp.StatusCode, resp.Header.Get("X-Upstream"))
		}
		if status == 202 && len(got) != 0 || status != 202 && string(got) != body {
			t.Errorf("status %d: body %q, want %q", status, got, body)
		}
		if status == 405 && resp.Header.Get("Allow") != "POST" {
			t.Errorf("405 lost its Allow header")
		}
	}
}

// rpcError decodes the JSON-RPC error mcpscope answers with.
func rpcError(t *testing.T, resp *http.Response) (id json.RawMessage, message string) {
	t.Helper()
	var e struct {
		ID    json.RawMessage          `json:"id"`
		Error struct{ Message string } `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("status %d body is not a JSON-RPC error: %v", resp.StatusCode, err)
	}
	return e.ID, e.Error.Message
}

// TestHeaderTimeout checks that an upstream that never answers gets the
// client a 504 instead of holding it forever.
func TestHeaderTimeout(t *testing.T) {
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so the server notices when the proxy gives up
		<-r.Context().Done()
	}), nil)
	hs.Proxy.Transport.(*http.Transport).ResponseHeaderTimeout = 200 * time.Millisecond
	resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"ping"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	id, msg := rpcError(t, resp)
	if resp.StatusCode != http.StatusGatewayTimeout || string(id) != "7" || !strings.Contains(msg, "no response headers") {
		t.Errorf("got %d id %s %q, want 504 for id 7", resp.StatusCode, id, msg)
	}
}
