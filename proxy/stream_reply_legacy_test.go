package proxy_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// legacySampler is a hand-written 2024-11-05 upstream: GET /mcp/sse names
// endpoint as the place to post, sends a sampling request and then a log
// notification. A POST to /mcp/messages is recorded and answered 202 once
// release is closed.
type legacySampler struct {
	endpoint string
	release  chan struct{}
	posts    chan string // "path?query body"
}

func (u *legacySampler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/mcp/sse":
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "event: endpoint\ndata: %s\n\n", u.endpoint)
		io.WriteString(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"sampling/createMessage\",\"params\":{}}\n\n")
		io.WriteString(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"after\"}}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	case r.Method == http.MethodPost:
		body, _ := io.ReadAll(r.Body)
		u.posts <- r.URL.RequestURI() + " " + string(body)
		select {
		case <-u.release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

// openLegacy opens the proxy's legacy stream and sends each data line it
// reads until the stream ends.
func openLegacy(t *testing.T, hs *harness) <-chan string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, hs.URL+"/mcp/sse", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := hs.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				lines <- data
			}
		}
	}()
	return lines
}

// TestReplyToLegacyRelativeEndpoint is issue 14's review: the answer to a
// failed server request on a legacy stream was posted to the endpoint URL
// as the upstream wrote it, so a relative endpoint (messages?sessionId=1
// for a stream at /mcp/sse) went to the wrong path; and the reply ran on
// the stream's read path, so the stream stalled until the upstream
// answered it. It now goes to /mcp/messages, and the stream reads on.
func TestReplyToLegacyRelativeEndpoint(t *testing.T) {
	up := &legacySampler{endpoint: "messages?sessionId=1", release: make(chan struct{}), posts: make(chan string, 4)}
	hs := through(t, up, withRules(t, holdSampling))
	defer close(up.release)
	lines := openLegacy(t, hs)
	var held []proxy.HeldInfo
	waitFor(t, func() bool { held = hs.Proxy.Held(); return len(held) == 1 })
	if err := hs.Proxy.FailHeld(held[0].ID, "test"); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-up.posts:
		if !strings.HasPrefix(got, "/mcp/messages?sessionId=1 ") || !strings.Contains(got, `"id":7`) || !strings.Contains(got, "sampling refused at the breakpoint") {
			t.Errorf("the upstream got the post %q, want the rule's error for id 7 at /mcp/messages?sessionId=1", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream got no answer to its sampling request")
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case data, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended before the event after the held request")
			}
			if strings.Contains(data, "sampling/createMessage") {
				t.Errorf("the client got the failed request: %s", data)
			}
			if !strings.Contains(data, `"after"`) {
				continue
			}
		case <-deadline:
			t.Fatal("the event after the failed request did not reach the client while the upstream had not answered the reply")
		}
		break
	}
}

// TestReplyToLegacyEndpointOnAnotherHost: an endpoint on another host than
// the upstream is not the proxy's to post to; a notice says so.
func TestReplyToLegacyEndpointOnAnotherHost(t *testing.T) {
	up := &legacySampler{endpoint: "http://elsewhere.invalid/messages?sessionId=1", release: make(chan struct{}), posts: make(chan string, 4)}
	hs := through(t, up, withRules(t, holdSampling))
	defer close(up.release)
	openLegacy(t, hs)
	var held []proxy.HeldInfo
	waitFor(t, func() bool { held = hs.Proxy.Held(); return len(held) == 1 })
	if err := hs.Proxy.FailHeld(held[0].ID, "test"); err != nil {
		t.Fatal(err)
	}
	notices := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Type == proxy.TypeNotice && strings.Contains(o.Reason, "another host")
	})
	if len(notices) != 1 {
		t.Errorf("notices %+v, want one saying the endpoint is on another host", notices)
	}
	select {
	case got := <-up.posts:
		t.Errorf("the upstream got the post %q", got)
	default:
	}
}
