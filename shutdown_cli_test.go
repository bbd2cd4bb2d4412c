package main

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestQuitDoesNotWaitForOpenStreams: an MCP client keeps an SSE stream
// open for as long as it runs, so a shutdown that waited for every request
// in flight would hold each quit for its whole grace. mcpscope stops at
// once, and its output still says the stream closed.
func TestQuitDoesNotWaitForOpenStreams(t *testing.T) {
	grace := shutdownGrace
	shutdownGrace = 30 * time.Second // long, so that waiting for it shows
	t.Cleanup(func() { shutdownGrace = grace })
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte(": open\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // an idle stream: it ends when its client goes
	}))
	t.Cleanup(up.Close)
	found, stdout, stop := startCLIStoppable(t, []string{"-u", up.URL + "/mcp", "--headless", "-l", "127.0.0.1:0"}, `listening on http://(\S+)`)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+found[0]+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || line != ": open\n" {
		t.Fatalf("the stream's first line through mcpscope: %q, %v", line, err)
	}
	start := time.Now()
	stop()
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("stopping took %v with one idle stream open: it waited for the stream", took)
	}
	if !strings.Contains(stdout.String(), `"type":"stream_closed"`) {
		t.Fatalf("the output does not say the stream closed:\n%.2000s", stdout.String())
	}
}
