package bridge

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestBridgeProgressOnItsRequestStream: a progress notification goes on
// the SSE stream of the POST whose request carries its token, even while
// a GET stream is open (which would take any other server message).
func TestBridgeProgressOnItsRequestStream(t *testing.T) {
	r := newRig(t, mcptest.StdioServerCommand("sdk"), nil)
	opened := sseRequest(t, t.Context(), http.MethodPost, r.url, "", initialize)
	id := opened.Header.Get(sessionHeader)
	if events := dataLines(opened.Body); id == "" || len(events) != 1 || !strings.Contains(events[0], `"protocolVersion"`) {
		t.Fatalf("initialize: session %q, events %q", id, events)
	}
	if status, body := postRaw(t, r.url, id, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); status != http.StatusAccepted {
		t.Fatalf("notifications/initialized: %d %s, want 202", status, body)
	}
	getCtx, stopGet := context.WithCancel(t.Context())
	get := sseRequest(t, getCtx, http.MethodGet, r.url, id, "")
	onGet := make(chan []string, 1)
	go func() { onGet <- dataLines(get.Body) }()
	call := sseRequest(t, t.Context(), http.MethodPost, r.url, id,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"progress","arguments":{"count":3},"_meta":{"progressToken":"p"}}}`)
	events := dataLines(call.Body)
	stopGet()
	var progress int
	for _, e := range events {
		if strings.Contains(e, `"notifications/progress"`) && strings.Contains(e, `"progressToken":"p"`) {
			progress++
		}
	}
	if progress != 3 || !strings.Contains(events[len(events)-1], `"done 3"`) {
		t.Errorf("the call's stream: %d progress notifications, then %q; want 3, then the result:\n%s", progress, events[len(events)-1], strings.Join(events, "\n"))
	}
	for _, e := range <-onGet {
		if strings.Contains(e, "notifications/progress") {
			t.Errorf("progress on the GET stream: %s", e)
		}
	}
}

// sseRequest sends a request accepting SSE (and JSON), in session (if
// not ""), and returns the response, closed at cleanup.
func sseRequest(t *testing.T, ctx context.Context, method, url, session, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	if session != "" {
		req.Header.Set(sessionHeader, session)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s: %d %s %s, want an SSE stream", method, resp.StatusCode, ct, b)
	}
	return resp
}

// dataLines reads an SSE body to its end and returns its data fields.
func dataLines(body io.Reader) []string {
	var out []string
	sc := bufio.NewScanner(body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, data)
		}
	}
	return out
}
