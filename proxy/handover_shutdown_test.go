package proxy_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// serveProxy starts a proxy for upstream on a loopback port with the
// server from NewServer, leaving its shutdown to the test.
func serveProxy(t *testing.T, upstream string) (*proxy.Proxy, *http.Server, string) {
	t.Helper()
	u, _ := url.Parse(upstream)
	p := proxy.New(u)
	tr := proxy.NewTransport(10 * time.Second)
	p.Transport = tr
	t.Cleanup(tr.CloseIdleConnections)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := p.NewServer()
	go srv.Serve(ln)
	return p, srv, "http://" + ln.Addr().String()
}

// expectStreamEnds checks that the client's stream c ends and its upstream
// request with it, within 2 s each.
func expectStreamEnds(t *testing.T, c net.Conn, upstreamDone <-chan time.Time) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Errorf("the client's stream did not end: %v", err)
	}
	select {
	case <-upstreamDone:
	case <-time.After(2 * time.Second):
		t.Error("upstream request still open 2s later")
	}
}

// TestDrainEndsStreamsAfterClose: http.Server.Close does not reach the
// streams handed over (handover.go); Drain ends them, so a client that
// keeps its GET stream open does not hold the shutdown.
func TestDrainEndsStreamsAfterClose(t *testing.T) {
	upstreamDone := make(chan time.Time, 1)
	up := startUpstream(t, idleUntilGone(upstreamDone))
	p, srv, base := serveProxy(t, up.URL)
	c := openIdleGET(t, base)
	defer c.Close()
	srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Errorf("Drain: %v", err)
	}
	expectStreamEnds(t, c, upstreamDone)
}

// TestShutdownEndsStreamsHandedOverDuringIt: a GET stream whose upstream
// answers while the server shuts down is handed over after Shutdown closed
// the streams handed over so far; it ends at once all the same.
func TestShutdownEndsStreamsHandedOverDuringIt(t *testing.T) {
	upstreamDone := make(chan time.Time, 1)
	asked, release := make(chan struct{}), make(chan struct{})
	idle := idleUntilGone(upstreamDone)
	up := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(asked)
		<-release
		idle.ServeHTTP(w, r)
	}))
	_, srv, base := serveProxy(t, up.URL)
	u, _ := url.Parse(base)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /mcp HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", u.Host)
	<-asked
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	time.Sleep(100 * time.Millisecond) // Shutdown has closed the streams handed over so far: none
	close(release)
	expectStreamEnds(t, c, upstreamDone)
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
