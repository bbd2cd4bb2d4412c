package proxy_test

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestStreamsOverEveryWire streams SSE through the proxy from an upstream
// reached over each wire (cleartext HTTP/1.1, TLS, HTTP/2), on a GET and
// on a POST: each event reaches the client before the upstream writes the
// next (flushed per event, not at the end), and an upstream that breaks
// off (a connection closed mid-body over HTTP/1.1, RST_STREAM over HTTP/2)
// reaches the client as a break, flagged on the bus, while a clean end
// stays clean.
func TestStreamsOverEveryWire(t *testing.T) {
	for _, w := range wires {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			for _, broken := range []bool{false, true} {
				name := w.name + "/" + method + "/clean"
				if broken {
					name = w.name + "/" + method + "/broken"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					streamOverWire(t, w, method, broken)
				})
			}
		}
	}
}

func streamOverWire(t *testing.T, w wire, method string, broken bool) {
	next := make(chan struct{})
	h := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/event-stream")
		rw.WriteHeader(http.StatusOK)
		for i := 1; i <= 2; i++ {
			fmt.Fprintf(rw, "id: %d\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":%d}}\n\n", i, i)
			rw.(http.Flusher).Flush()
			if i == 1 {
				select { // the client must have the first event before the second is written
				case <-next:
				case <-time.After(timeout):
					t.Errorf("the client had no event %v after the first was flushed: held on the way", timeout)
					return
				}
			}
		}
		if broken {
			panic(http.ErrAbortHandler) // HTTP/1.1: the connection closes mid-body; HTTP/2: RST_STREAM
		}
	})
	upstream, configure := startUpstreamOver(t, h, w)
	hs := startProxy(t, upstream, configure)
	body := ""
	if method == http.MethodPost {
		body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`
	}
	req, _ := http.NewRequest(method, hs.URL+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := hs.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	var ids []string
	var readErr error
	for readErr == nil {
		var line string
		line, readErr = br.ReadString('\n')
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			ids = append(ids, strings.TrimSpace(id))
			if len(ids) == 1 {
				close(next) // the first event came alone: the upstream may write the second
			}
		}
	}
	if len(ids) != 2 {
		t.Fatalf("client got event ids %v, want 1 and 2 (ended by %v)", ids, readErr)
	}
	if gotBreak := readErr.Error() != "EOF"; gotBreak != broken {
		t.Errorf("the client's stream ended with %v; want a break: %v", readErr, broken)
	}
	closed := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Type == proxy.TypeStreamClosed })
	if len(closed) != 1 {
		t.Fatalf("%d stream_closed observations", len(closed))
	}
	if got := closed[0].Has(proxy.FlagUpstreamBroke); got != broken {
		t.Errorf("stream_closed %q flagged upstream-broke: %v, want %v", closed[0].Reason, got, broken)
	}
}
