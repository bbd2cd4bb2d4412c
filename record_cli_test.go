package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/record"
)

// authTransport adds credentials to every request, as a real client might.
type authTransport struct{ base http.RoundTripper }

func (a authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer sekrit-token")
	return a.base.RoundTrip(r)
}

// TestRecordFlag records a real exchange with --record: the file starts
// with a header, holds the messages and SSE events, and has credentials
// and the --redact-path redacted.
func TestRecordFlag(t *testing.T) {
	file := filepath.Join(t.TempDir(), "session.jsonl")
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	addrs, _, stop := startCLIStoppable(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--record", file,
		"--redact-path", "params.arguments.text"}, `listening on http://(\S+)`)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+addrs[0]+"/mcp",
		mcptest.ClientOptions{HTTPClient: &http.Client{Transport: authTransport{tr}}})
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 3, "interval_ms": 1}}
	p.SetProgressToken("t")
	if _, err := cs.CallTool(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "my secret text"}}); err != nil {
		t.Fatal(err)
	}
	cs.Close()
	stop()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	if !strings.Contains(first, `"format":"mcpscope-recording"`) || !strings.Contains(first, `"redacted":true`) {
		t.Errorf("header line = %s", first)
	}
	if strings.Contains(string(data), "sekrit-token") {
		t.Errorf("the recording holds the Authorization header's token")
	}
	progress, calls := 0, 0
	if err := record.ReadFile(file, func(o *record.Observation) error {
		if o.Method == "notifications/progress" && o.Type == "sse_event" {
			progress++
		}
		if o.Method == "tools/call" && o.Kind == "request" {
			calls++
			if strings.Contains(o.Body, "my secret text") || (strings.Contains(o.Body, `"echo"`) && !strings.Contains(o.Body, `"text":"[redacted]"`)) {
				t.Errorf("the --redact-path argument is in the recorded request: %s", o.Body)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if progress != 3 || calls != 2 {
		t.Errorf("recording has %d progress events and %d calls, want 3 and 2", progress, calls)
	}
}
