package proxy_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestReconnectEndsTheLeftStreamFirst: the client of a session's handed-
// over GET stream leaves and, at once, opens the session's GET stream
// again (a reconnect, or a resumption). Before the new GET goes upstream
// the old one has ended there, not a probe's tick later: an upstream that
// allows one stream per session (go-sdk answers 409) takes the new one.
func TestReconnectEndsTheLeftStreamFirst(t *testing.T) {
	restore := proxy.SetClientProbeInterval(time.Minute) // no tick during the test: only the new GET's probe can notice
	var mu sync.Mutex
	var open <-chan struct{} // the session's GET stream upstream, if any: closed when it ends
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost { // initialize
			w.Header().Set("Mcp-Session-Id", "up-1")
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"s","version":"1"}}}`)
			return
		}
		mu.Lock()
		prev := open
		open = r.Context().Done()
		mu.Unlock()
		if prev != nil {
			select {
			case <-prev:
			case <-time.After(time.Second):
				http.Error(w, "a stream is open already", http.StatusConflict)
				return
			}
		}
		f := startSSE(w)
		fmt.Fprint(w, "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/hello\"}\n\n")
		f.Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}), nil)
	defer func() {
		hs.Proxy.CloseStreams() // its lock orders the streams' reads of the interval before restoring it
		restore()
	}()
	u, _ := url.Parse(hs.URL)
	resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sid := resp.Header.Get("Mcp-Session-Id")
	if sid == "" {
		t.Fatal("initialize gave no session")
	}
	get := func() (net.Conn, int) {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /mcp HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nMcp-Session-Id: %s\r\n\r\n", u.Host, sid)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			c.Close()
			t.Fatalf("GET stream: %v", err)
		}
		return c, resp.StatusCode
	}
	first, status := get()
	if status != http.StatusOK {
		t.Fatalf("the first GET got %d", status)
	}
	time.Sleep(50 * time.Millisecond) // handed over
	first.Close()
	time.Sleep(20 * time.Millisecond) // the close reaches the proxy's socket
	second, status := get()
	defer second.Close()
	if status != http.StatusOK {
		t.Errorf("the reconnected GET got %d, want 200: the left stream was still open upstream", status)
	}
}
