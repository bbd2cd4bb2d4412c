package checks_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A hand-written MCP server and client, byte by byte, for misbehaviour the
// SDKs never show.

// call is one JSON-RPC message as the scripted server reads it.
type call struct {
	Method string          `json:"method"`
	ID     json.RawMessage `json:"id"`
	Params json.RawMessage `json:"params"`
}

// script answers one POSTed message (not initialize, not a notification:
// those the server answers itself). It writes the whole HTTP response.
type script func(w http.ResponseWriter, r *http.Request, c call)

// startScripted starts the scripted server: initialize is answered with
// rev and a session id (before 2026-07-28), notifications 202, the rest by
// answer.
func startScripted(t *testing.T, rev string, answer script) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var c call
		if err := json.Unmarshal(body, &c); err != nil {
			http.Error(w, "bad JSON", http.StatusBadRequest)
			return
		}
		switch {
		case c.Method == "initialize":
			w.Header().Set("Content-Type", "application/json")
			if rev < "2026-07-28" {
				w.Header().Set("Mcp-Session-Id", "up-1")
			}
			io.WriteString(w, `{"jsonrpc":"2.0","id":`+string(c.ID)+`,"result":{"protocolVersion":"`+rev+`","capabilities":{"tools":{}},"serverInfo":{"name":"scripted","version":"1"}}}`)
		case len(c.ID) == 0 || c.Method == "":
			w.WriteHeader(http.StatusAccepted)
		default:
			answer(w, r, c)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/mcp"
}

// writeJSON answers with one JSON message.
func writeJSON(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, msg)
}

// writeSSE answers with an SSE stream of the blocks (each written as
// given, a blank line after it), flushed one by one.
func writeSSE(w http.ResponseWriter, blocks ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	for _, b := range blocks {
		io.WriteString(w, b+"\n\n")
		w.(http.Flusher).Flush()
	}
}

// result is a result message answering id.
func result(id json.RawMessage, result string) string {
	return `{"jsonrpc":"2.0","id":` + string(id) + `,"result":` + result + `}`
}

// client is the hand-written client: POSTs through mcpscope.
type client struct {
	t       *testing.T
	url     string
	rev     string
	session string
}

// newClient initializes a session (before 2026-07-28) declaring caps.
func newClient(t *testing.T, url, rev, caps string) *client {
	c := &client{t: t, url: url, rev: rev}
	if rev < "2026-07-28" {
		resp, _ := c.post(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"`+rev+`","capabilities":`+caps+`,"clientInfo":{"name":"scripted","version":"1"}}}`, nil)
		c.session = resp.Header.Get("Mcp-Session-Id")
		if c.session == "" {
			t.Fatalf("initialize through mcpscope: no session id (status %d)", resp.StatusCode)
		}
		c.post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil)
	}
	return c
}

// post sends one body with the headers its revision needs (plus extra)
// and returns the response and its whole body.
func (c *client) post(body string, extra map[string]string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodPost, c.url, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
	}
	if c.rev >= "2025-06-18" && !strings.Contains(body, `"initialize"`) {
		req.Header.Set("Mcp-Protocol-Version", c.rev)
	}
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", body, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// meta is the _meta a 2026-07-28 request carries.
const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"scripted","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}`
