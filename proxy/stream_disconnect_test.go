package proxy_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestClientDisconnectCancelsUpstream checks that a client leaving mid-stream
// closes the upstream request within a second and leaves no goroutine behind.
func TestClientDisconnectCancelsUpstream(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			upstreamDone := make(chan time.Time, 1)
			var hs *harness
			t.Run("stream", func(t *testing.T) {
				hs = through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/event-stream")
					for i := 0; ; i++ {
						fmt.Fprintf(w, "id: %d\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"tick\"}\n\n", i)
						w.(http.Flusher).Flush()
						select {
						case <-r.Context().Done():
							upstreamDone <- time.Now()
							return
						case <-time.After(10 * time.Millisecond):
						}
					}
				}), nil)
				ctx, cancel := context.WithCancel(context.Background())
				req, _ := http.NewRequestWithContext(ctx, method, hs.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call"}`))
				resp, err := hs.Client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				br := bufio.NewReader(resp.Body)
				for blanks := 0; blanks < 3; { // read three events
					line, err := br.ReadString('\n')
					if err != nil {
						t.Fatal(err)
					}
					if line == "\n" {
						blanks++
					}
				}
				left := time.Now()
				cancel()
				resp.Body.Close()
				select {
				case at := <-upstreamDone:
					if d := at.Sub(left); d > time.Second {
						t.Errorf("upstream saw its request closed %v after the client left, want < 1s", d)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("upstream request still open 5s after the client left")
				}
				waitFor(t, func() bool {
					return len(hs.Seen.Matching(func(o *proxy.Observation) bool { return o.Type == proxy.TypeStreamClosed })) == 1
				})
				closed := hs.Seen.Matching(func(o *proxy.Observation) bool { return o.Type == proxy.TypeStreamClosed })[0]
				if closed.Reason != "client disconnected" || closed.Events < 3 {
					t.Errorf("stream closed with reason %q after %d events, want client disconnected after ≥3", closed.Reason, closed.Events)
				}
			})
			// The subtest's cleanups closed the servers and idle connections:
			// nothing of the stream may still run.
			goleak.VerifyNone(t)
		})
	}
}
