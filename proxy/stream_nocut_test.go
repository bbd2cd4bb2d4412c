package proxy_test

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// sseCounter is an upstream that answers every POST with an SSE stream of
// the number of events its ?n= asks for, the last one "data: end".
func sseCounter() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, "id: %d\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":%d}}\n\n", i, i)
			w.(http.Flusher).Flush()
		}
		fmt.Fprint(w, "data: end\n\n")
	})
}

// readStream posts a request and counts the events of the SSE answer,
// reporting an error if the stream ends before "data: end".
func readStream(client *http.Client, url string) (int, error) {
	resp, err := client.Post(url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	events := 0
	for sc.Scan() {
		switch line := sc.Text(); {
		case line == "data: end":
			return events, nil
		case strings.HasPrefix(line, "id: "):
			events++
		}
	}
	return events, fmt.Errorf("stream cut after %d events: %v", events, sc.Err())
}

// TestZeroCutStreams runs 16 000 short POST streams (MCP's one stream per
// call) and 25 long ones through the proxy at once. Go proxies that forward
// the inbound body as a stream cut a fraction of a percent of these
// (golang/go#40747); mcpscope forwards the body from memory and must cut
// none.
func TestZeroCutStreams(t *testing.T) {
	short, long, shortEvents, longEvents := 16000, 25, 10, 4000
	if testing.Short() {
		short, longEvents = 2000, 1000
	}
	hs := through(t, sseCounter(), nil)
	var cut, wrong atomic.Int64
	var firstErr atomic.Value
	check := func(n int, err error, want int) {
		if err != nil {
			cut.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
		} else if n != want {
			wrong.Add(1)
		}
	}
	var wg sync.WaitGroup
	for range long {
		wg.Go(func() {
			n, err := readStream(hs.Client, hs.URL+"/mcp?n="+strconv.Itoa(longEvents))
			check(n, err, longEvents)
		})
	}
	jobs := make(chan int)
	for range 16 {
		wg.Go(func() {
			for range jobs {
				n, err := readStream(hs.Client, hs.URL+"/mcp?n="+strconv.Itoa(shortEvents))
				check(n, err, shortEvents)
			}
		})
	}
	for i := range short {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if cut.Load() > 0 || wrong.Load() > 0 {
		t.Fatalf("%d of %d streams cut (first: %v), %d with a wrong event count", cut.Load(), short+long, firstErr.Load(), wrong.Load())
	}
}
