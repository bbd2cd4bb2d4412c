package bridge

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestBridgeBatchAsJSON: on a 2025-03-26 session (the one revision with
// batches) a batch's messages go to the child one per line and the answers
// come back as one JSON array to a client that takes JSON only; a batch of
// notifications gets 202.
func TestBridgeBatchAsJSON(t *testing.T) {
	r := newRig(t, mcptest.StdioServerCommand("sdk"), nil)
	status, header, body := postJSON(t, r.url, "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`)
	id := header.Get(sessionHeader)
	if status != 200 || id == "" || !strings.Contains(body, `"protocolVersion":"2025-03-26"`) {
		t.Fatalf("initialize as JSON: %d, session %q, %s", status, id, body)
	}
	if status, _, body := postJSON(t, r.url, id, `[{"jsonrpc":"2.0","method":"notifications/initialized"}]`); status != http.StatusAccepted {
		t.Fatalf("a batch of one notification: %d %s, want 202", status, body)
	}
	status, header, body = postJSON(t, r.url, id, `[{"jsonrpc":"2.0","id":"a","method":"tools/list"},{"jsonrpc":"2.0","id":"b","method":"tools/call","params":{"name":"echo","arguments":{"text":"in a batch"}}}]`)
	var answers []struct {
		ID     string          `json:"id"`
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal([]byte(body), &answers); status != 200 || header.Get("Content-Type") != "application/json" || err != nil || len(answers) != 2 {
		t.Fatalf("a batch of two requests: %d %s %s (%v), want a JSON array of two answers", status, header.Get("Content-Type"), body, err)
	}
	got := map[string]string{}
	for _, a := range answers {
		got[a.ID] = string(a.Result)
	}
	if !strings.Contains(got["a"], `"echo"`) || !strings.Contains(got["b"], `"in a batch"`) {
		t.Errorf("batch answers %v: want a's tool list and b's echo", got)
	}
}

// postJSON POSTs body accepting JSON only, in session (if not "").
func postJSON(t *testing.T, url, session, body string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if session != "" {
		req.Header.Set(sessionHeader, session)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}
