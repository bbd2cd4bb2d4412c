package proxy_test

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestSlowBodyThatKeepsComingIsRead: BodyTimeout is the longest the proxy
// waits for the next bytes of a body, not for all of it: 100 bytes
// trickled over 500 ms with a 300 ms timeout go upstream.
func TestSlowBodyThatKeepsComingIsRead(t *testing.T) {
	var upstream atomic.Int64
	hs := through(t, countingUpstream(&upstream), func(p *proxy.Proxy) { p.BodyTimeout = 300 * time.Millisecond })
	body := `{"jsonrpc":"2.0","id":1,"method":"ping"}` + strings.Repeat(" ", 60)
	c, br := rawPOST(t, hs, fmt.Sprintf("Content-Length: %d\r\n", len(body)), "")
	for i := 0; i < len(body); i += 10 {
		time.Sleep(50 * time.Millisecond)
		io.WriteString(c, body[i:i+10])
	}
	if resp := readStatus(t, c, br, 5*time.Second); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200: the body kept arriving", resp.StatusCode)
	}
	if n := upstream.Load(); n != 1 {
		t.Errorf("the upstream got %d requests, want 1", n)
	}
}

// TestTricklingBodyEndsInTime: a body that brings a byte now and then,
// each within BodyTimeout, still ends with 408 once the whole body took
// ten times BodyTimeout.
func TestTricklingBodyEndsInTime(t *testing.T) {
	var upstream atomic.Int64
	hs := through(t, countingUpstream(&upstream), func(p *proxy.Proxy) { p.BodyTimeout = 100 * time.Millisecond })
	start := time.Now() // before the headers go: the proxy's clock starts after this one's
	c, br := rawPOST(t, hs, "Content-Length: 1000\r\n", "")
	go func() {
		for range 1000 {
			time.Sleep(40 * time.Millisecond)
			if _, err := io.WriteString(c, " "); err != nil {
				return
			}
		}
	}()
	resp := readStatus(t, c, br, 10*time.Second)
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
	if took := time.Since(start); took < 900*time.Millisecond || took > 5*time.Second {
		t.Errorf("the 408 came after %v; want about 1s (10 × 100ms)", took)
	}
	if n := upstream.Load(); n != 0 {
		t.Errorf("the upstream got %d requests, want none", n)
	}
}

// TestAnnouncedLengthTakesNoBudgetAhead: a Content-Length takes from the
// in-flight budget only as its bytes arrive: four connections that
// announce just under 32 MiB and send nothing do not hold the whole
// 128 MiB budget, and another request is served meanwhile.
func TestAnnouncedLengthTakesNoBudgetAhead(t *testing.T) {
	var upstream atomic.Int64
	hs := through(t, countingUpstream(&upstream), nil)
	for range 4 {
		rawPOST(t, hs, fmt.Sprintf("Content-Length: %d\r\n", proxy.DefaultMaxBodySize-1), "")
	}
	waitFor(t, func() bool { return hs.Proxy.BodiesHeld() > 0 })
	if held := hs.Proxy.BodiesHeld(); held > 4*(64<<10) {
		t.Errorf("four bodies that sent nothing hold %d KiB of the budget, want at most 4 × 64", held>>10)
	}
	body := `{"jsonrpc":"2.0","id":1,"method":"ping"}` + strings.Repeat(" ", 1<<10)
	c, br := rawPOST(t, hs, fmt.Sprintf("Content-Length: %d\r\n", len(body)), body)
	if resp := readStatus(t, c, br, 5*time.Second); resp.StatusCode != http.StatusOK {
		t.Fatalf("a request beside them: status %d, want 200", resp.StatusCode)
	}
}

// TestUnboundedMaxBody: MaxBodySize at its largest (math.MaxInt64) bounds
// nothing but breaks nothing either: a chunked body grows as usual, and a
// Content-Length of math.MaxInt64 is read until it stops arriving.
func TestUnboundedMaxBody(t *testing.T) {
	var upstream atomic.Int64
	hs := through(t, countingUpstream(&upstream), func(p *proxy.Proxy) {
		p.MaxBodySize = math.MaxInt64
		p.BodyTimeout = 200 * time.Millisecond
	})
	body := `{"jsonrpc":"2.0","id":1,"method":"ping"}` + strings.Repeat(" ", 100<<10)
	c, br := rawPOST(t, hs, "Transfer-Encoding: chunked\r\n", fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body))
	if resp := readStatus(t, c, br, 5*time.Second); resp.StatusCode != http.StatusOK {
		t.Fatalf("a chunked body: status %d, want 200", resp.StatusCode)
	}
	c, br = rawPOST(t, hs, fmt.Sprintf("Content-Length: %d\r\n", int64(math.MaxInt64)), body[:1000])
	if resp := readStatus(t, c, br, 5*time.Second); resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("a body announcing math.MaxInt64 bytes: status %d, want 408", resp.StatusCode)
	}
	waitFor(t, func() bool { return hs.Proxy.BodiesHeld() == 0 })
}

// TestBodyBudgetComesBack: whatever ends a body — a timeout (408), the
// size limit (413), the client hanging up halfway — gives its share of
// the in-flight budget back.
func TestBodyBudgetComesBack(t *testing.T) {
	var upstream atomic.Int64
	hs := through(t, countingUpstream(&upstream), func(p *proxy.Proxy) {
		p.MaxBodySize = 256 << 10
		p.BodyTimeout = 200 * time.Millisecond
	})
	part := strings.Repeat(" ", 100<<10)
	returned := func(what string) {
		t.Helper()
		waitFor(t, func() bool { return hs.Proxy.BodiesHeld() == 0 })
		if n := upstream.Load(); n != 0 {
			t.Fatalf("after %s the upstream got %d requests, want none", what, n)
		}
	}

	c, br := rawPOST(t, hs, "Content-Length: 200000\r\n", part)
	if resp := readStatus(t, c, br, 5*time.Second); resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("a stalled body: status %d, want 408", resp.StatusCode)
	}
	returned("a 408")

	c, br = rawPOST(t, hs, "Transfer-Encoding: chunked\r\n", strings.Repeat(fmt.Sprintf("%x\r\n%s\r\n", len(part), part), 3))
	if resp := readStatus(t, c, br, 5*time.Second); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("a chunked body over the limit: status %d, want 413", resp.StatusCode)
	}
	returned("a 413")

	c, _ = rawPOST(t, hs, "Content-Length: 200000\r\n", part)
	waitFor(t, func() bool { return hs.Proxy.BodiesHeld() >= int64(len(part)) })
	c.Close()
	returned("the client hung up")
}

// toolStreamUpstream answers a tools/call with an SSE stream that sends an event
// every tick, count of them (or until the request ends, if count is 0),
// and anything else with an empty JSON-RPC result.
func toolStreamUpstream(tick time.Duration, count int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), `"tools/call"`) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"jsonrpc":"2.0","id":2,"result":{}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; count == 0 || i < count; i++ {
			fmt.Fprintf(w, "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":%d}}\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(tick):
			}
		}
	})
}

// readDataEvents reads n SSE events ("data:" lines) from a response.
func readDataEvents(t *testing.T, resp *http.Response, n int) {
	t.Helper()
	sc := bufio.NewScanner(resp.Body)
	for got := 0; got < n; {
		if !sc.Scan() {
			t.Fatalf("the stream ended after %d of %d events: %v", got, n, sc.Err())
		}
		if strings.HasPrefix(sc.Text(), "data:") {
			got++
		}
	}
}

// TestStreamingAnswerHoldsNoBodyBudget: once a POST is answered with a
// stream, its body is no longer held: while a tool call's stream stays
// open, another large body is accepted within a budget the two together
// would pass.
func TestStreamingAnswerHoldsNoBodyBudget(t *testing.T) {
	hs := through(t, toolStreamUpstream(50*time.Millisecond, 0), func(p *proxy.Proxy) {
		p.MaxBodySize = 1 << 20
		p.MaxBodyInflight = 1 << 20
	})
	pad := strings.Repeat(" ", 700<<10)
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow"}}` + pad
	c, br := rawPOST(t, hs, fmt.Sprintf("Content-Length: %d\r\n", len(call)), call)
	resp := readStatus(t, c, br, 5*time.Second)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("the tool call: status %d, %q; want 200 and a stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	readDataEvents(t, resp, 2) // the stream is open, and stays so
	ping := `{"jsonrpc":"2.0","id":2,"method":"ping"}` + pad
	c2, br2 := rawPOST(t, hs, fmt.Sprintf("Content-Length: %d\r\n", len(ping)), ping)
	if resp := readStatus(t, c2, br2, 5*time.Second); resp.StatusCode != http.StatusOK {
		t.Fatalf("a large body while the tool call streams: status %d, want 200", resp.StatusCode)
	}
	readDataEvents(t, resp, 1) // still streaming
}

// TestStreamingAnswerOutlivesBodyTimeout: BodyTimeout bounds reading the
// request's body, not its answer: a POST's stream that lasts well past it
// reaches the client whole.
func TestStreamingAnswerOutlivesBodyTimeout(t *testing.T) {
	hs := through(t, toolStreamUpstream(100*time.Millisecond, 8), func(p *proxy.Proxy) { p.BodyTimeout = 150 * time.Millisecond })
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow"}}`
	resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json", strings.NewReader(call))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	readDataEvents(t, resp, 8)
}
