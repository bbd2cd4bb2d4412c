package proxy_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// countingUpstream answers every request with an empty JSON-RPC result and
// counts them.
func countingUpstream(n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	})
}

// rawPOST opens a connection to the proxy and sends a POST's headers
// (with the given extra header lines) and the first part of its body.
func rawPOST(t *testing.T, hs *harness, headers, body string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(hs.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	host := strings.TrimPrefix(hs.URL, "http://")
	fmt.Fprintf(c, "POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n%s\r\n%s", host, headers, body)
	return c, bufio.NewReader(c)
}

// readStatus reads the response's status and headers within a deadline.
func readStatus(t *testing.T, c net.Conn, br *bufio.Reader, within time.Duration) *http.Response {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(within))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer within %v: %v", within, err)
	}
	return resp
}

// expectClosed checks the proxy closes the connection after its answer.
func expectClosed(t *testing.T, c net.Conn, br *bufio.Reader, resp *http.Response) {
	t.Helper()
	io.Copy(io.Discard, resp.Body)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := br.ReadByte()
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() { // EOF, or a reset: a client still sending gets one
		t.Errorf("the connection stays open after a refused body (read: %v); want it closed", err)
	}
}

// TestOverLimitContentLengthRefusedUnread: a body whose Content-Length is
// over MaxBodySize gets 413 at once, before any of it is sent, and never
// goes upstream.
func TestOverLimitContentLengthRefusedUnread(t *testing.T) {
	var upstream atomic.Int64
	hs := through(t, countingUpstream(&upstream), func(p *proxy.Proxy) { p.MaxBodySize = 1 << 20 })
	c, br := rawPOST(t, hs, fmt.Sprintf("Content-Length: %d\r\n", 30<<20), "") // no body byte sent
	resp := readStatus(t, c, br, 3*time.Second)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	expectClosed(t, c, br, resp)
	if n := upstream.Load(); n != 0 {
		t.Errorf("the upstream got %d requests, want none", n)
	}
}

// TestOverLimitChunkedBodyStopsAtTheLimit: a chunked body that goes on past
// MaxBodySize is read up to the limit, then refused with 413 and its
// connection closed, while the client still sends.
func TestOverLimitChunkedBodyStopsAtTheLimit(t *testing.T) {
	var upstream atomic.Int64
	hs := through(t, countingUpstream(&upstream), func(p *proxy.Proxy) { p.MaxBodySize = 64 << 10 })
	c, br := rawPOST(t, hs, "Transfer-Encoding: chunked\r\n", "")
	sent := make(chan int64, 1)
	go func() { // an endless body
		chunk := fmt.Sprintf("%x\r\n%s\r\n", 16<<10, strings.Repeat("x", 16<<10))
		n := int64(0)
		for ; n < 64<<20; n += 16 << 10 {
			if _, err := io.WriteString(c, chunk); err != nil {
				break
			}
		}
		sent <- n
	}()
	resp := readStatus(t, c, br, 5*time.Second)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	expectClosed(t, c, br, resp)
	if n := <-sent; n >= 64<<20 {
		t.Errorf("the proxy read the whole 64 MiB body (limit 64 KiB)")
	}
	if n := upstream.Load(); n != 0 {
		t.Errorf("the upstream got %d requests, want none", n)
	}
}

// TestBodiesInFlightAreBounded: while one request's body holds most of
// MaxBodyInflight, another whose body would pass it gets 503 with
// Retry-After at once; once the first is done, bodies are accepted again.
func TestBodiesInFlightAreBounded(t *testing.T) {
	var upstream atomic.Int64
	hs := through(t, countingUpstream(&upstream), func(p *proxy.Proxy) {
		p.MaxBodySize = 1 << 20
		p.MaxBodyInflight = 1 << 20
	})
	body := `{"jsonrpc":"2.0","id":1,"method":"ping"}` + strings.Repeat(" ", 700<<10)
	rest := len(body) - 1000
	slow, slowBR := rawPOST(t, hs, fmt.Sprintf("Content-Length: %d\r\n", len(body)), body[:rest]) // holds 700 KiB of the budget once read
	waitFor(t, func() bool { return hs.Proxy.BodiesHeld() > int64(rest) })
	c, br := rawPOST(t, hs, fmt.Sprintf("Content-Length: %d\r\n", len(body)), body)
	resp := readStatus(t, c, br, 3*time.Second)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second body: status %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	expectClosed(t, c, br, resp)

	io.WriteString(slow, body[rest:]) // the first finishes, goes upstream, and gives its share back
	if resp := readStatus(t, slow, slowBR, 5*time.Second); resp.StatusCode != http.StatusOK {
		t.Fatalf("the first body: status %d, want 200", resp.StatusCode)
	}
	c, br = rawPOST(t, hs, fmt.Sprintf("Content-Length: %d\r\n", len(body)), body)
	if resp := readStatus(t, c, br, 5*time.Second); resp.StatusCode != http.StatusOK {
		t.Fatalf("a body after the first finished: status %d, want 200", resp.StatusCode)
	}
	if n := upstream.Load(); n != 2 {
		t.Errorf("the upstream got %d requests, want 2", n)
	}
}

// TestUnfinishedBodyTimesOut: a body that stops arriving gets 408 after
// BodyTimeout and is never forwarded.
func TestUnfinishedBodyTimesOut(t *testing.T) {
	var upstream atomic.Int64
	hs := through(t, countingUpstream(&upstream), func(p *proxy.Proxy) { p.BodyTimeout = 200 * time.Millisecond })
	start := time.Now()
	c, br := rawPOST(t, hs, "Content-Length: 100\r\n", `{"jsonrpc":"2.0",`)
	resp := readStatus(t, c, br, 5*time.Second)
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the 408 took %v with a 200ms body timeout", took)
	}
	expectClosed(t, c, br, resp)
	if n := upstream.Load(); n != 0 {
		t.Errorf("the upstream got %d requests, want none", n)
	}
}

// TestChunkedBodiesCountAsTheyGrow: a chunked body (no Content-Length)
// takes from the in-flight budget as it grows, so a second one that grows
// past what the first leaves gets 503 while the first still arrives.
func TestChunkedBodiesCountAsTheyGrow(t *testing.T) {
	var upstream atomic.Int64
	hs := through(t, countingUpstream(&upstream), func(p *proxy.Proxy) {
		p.MaxBodySize = 1 << 20
		p.MaxBodyInflight = 128 << 10
	})
	chunk := func(s string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(s), s) }
	part := `{"jsonrpc":"2.0","id":1,"method":"ping"}` + strings.Repeat(" ", 70<<10)
	first, firstBR := rawPOST(t, hs, "Transfer-Encoding: chunked\r\n", chunk(part)) // holds 128 KiB once grown past 64
	time.Sleep(100 * time.Millisecond)
	c, br := rawPOST(t, hs, "Transfer-Encoding: chunked\r\n", chunk(part))
	resp := readStatus(t, c, br, 3*time.Second)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second body: status %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	expectClosed(t, c, br, resp)
	io.WriteString(first, "0\r\n\r\n")
	if resp := readStatus(t, first, firstBR, 5*time.Second); resp.StatusCode != http.StatusOK {
		t.Fatalf("the first body: status %d, want 200", resp.StatusCode)
	}
	if n := upstream.Load(); n != 1 {
		t.Errorf("the upstream got %d requests, want 1", n)
	}
}
