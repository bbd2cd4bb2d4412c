package proxy_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/proxy"
)

// A long-lived GET stream is handed over to a goroutine of its own once its
// headers are out (handover.go); these tests check what the server did for
// it before: noticing the client leave, and ending it on Shutdown.

// idleUntilGone serves an SSE stream of one event, then waits until its
// request ends and sends the time on done. It gives up after 10 s, so a
// failing test does not hang in the upstream's Close.
func idleUntilGone(done chan<- time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := startSSE(w)
		fmt.Fprint(w, "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/hello\"}\n\n")
		f.Flush()
		select {
		case <-r.Context().Done():
			done <- time.Now()
		case <-time.After(10 * time.Second):
		}
	})
}

// openIdleGET opens a GET stream at base on a connection of its own and
// reads its headers and first event.
func openIdleGET(t *testing.T, base string) net.Conn {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET /mcp HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", u.Host)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		c.Close()
		t.Fatalf("GET stream: %v (status %v)", err, resp)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			c.Close()
			t.Fatalf("reading the first event: %v", err)
		}
		if line == "\n" {
			return c
		}
	}
}

// TestIdleStreamNoticesClientLeaving: the client of an idle GET stream
// closes its connection; the proxy ends the upstream request within a
// second (the probe's interval is half that) and closes the stream as
// "client disconnected", leaving no goroutine behind.
func TestIdleStreamNoticesClientLeaving(t *testing.T) {
	upstreamDone := make(chan time.Time, 1)
	t.Run("stream", func(t *testing.T) {
		hs := through(t, idleUntilGone(upstreamDone), nil)
		c := openIdleGET(t, hs.URL)
		time.Sleep(50 * time.Millisecond) // idle: nothing to write that would fail
		left := time.Now()
		c.Close()
		select {
		case at := <-upstreamDone:
			if d := at.Sub(left); d > time.Second {
				t.Errorf("upstream saw its request end %v after the client left, want < 1s", d)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("upstream request still open 5s after the client left")
		}
		waitFor(t, func() bool {
			return len(hs.Seen.Matching(func(o *proxy.Observation) bool { return o.Type == proxy.TypeStreamClosed })) == 1
		})
		if closed := hs.Seen.Matching(func(o *proxy.Observation) bool { return o.Type == proxy.TypeStreamClosed })[0]; closed.Reason != "client disconnected" {
			t.Errorf("stream closed with reason %q, want client disconnected", closed.Reason)
		}
	})
	goleak.VerifyNone(t)
}

// TestShutdownEndsIdleStreams: Shutdown of the server from NewServer ends
// the idle GET streams it no longer tracks: the client's connection
// closes, the upstream request ends, and Drain returns.
func TestShutdownEndsIdleStreams(t *testing.T) {
	upstreamDone := make(chan time.Time, 1)
	up := startUpstream(t, idleUntilGone(upstreamDone))
	u, _ := url.Parse(up.URL)
	p := proxy.New(u)
	tr := proxy.NewTransport(10 * time.Second)
	p.Transport = tr
	defer tr.CloseIdleConnections()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := p.NewServer()
	go srv.Serve(ln)
	c := openIdleGET(t, "http://"+ln.Addr().String())
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Errorf("the client's stream did not end with the shutdown: %v", err)
	}
	select {
	case <-upstreamDone:
	case <-time.After(2 * time.Second):
		t.Error("upstream request still open 2s after the shutdown")
	}
	if err := p.Drain(ctx); err != nil {
		t.Errorf("Drain: %v", err)
	}
}
