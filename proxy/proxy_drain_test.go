package proxy_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestDrainPublishesWhatStreamsSawLast: shutting down, the server is
// closed under an open stream; Drain waits for the stream's handler to end
// and publishes what it deferred, so a subscriber that drains after it has
// every event the client got and the stream's close (they used to be lost
// when the subscription closed first: a recording missed its end).
func TestDrainPublishesWhatStreamsSawLast(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			w.Write([]byte("id: " + string(rune('1'+i)) + "\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n"))
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done()
	}))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	p := proxy.New(u)
	tr := proxy.NewTransport(0)
	p.Transport = tr
	defer p.Bus.Close()
	sub := p.Bus.SubscribeLossless(1 << 20)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := p.NewServer()
	go srv.Serve(ln)

	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET through the proxy: %s", resp.Status)
	}
	lines := bufio.NewScanner(resp.Body)
	for got := 0; got < 3 && lines.Scan(); {
		if strings.HasPrefix(lines.Text(), "data:") {
			got++
		}
	}
	srv.Close() // as mcpscope's shutdown does: the stream is cut, its handler ends on its own
	resp.Body.Close()
	tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	sub.Close()
	events, closed := 0, 0
	for {
		batch, err := sub.Next(context.Background())
		if errors.Is(err, proxy.ErrClosed) {
			break
		}
		for _, o := range batch {
			switch o.Type {
			case proxy.TypeSSEEvent:
				events++
			case proxy.TypeStreamClosed:
				closed++
			}
		}
	}
	if events != 3 || closed != 1 {
		t.Errorf("after Drain the subscriber had %d events and %d stream closes, want 3 and 1", events, closed)
	}
}
