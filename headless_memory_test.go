package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// stalledStdout is a --headless stdout piped into a reader that stopped:
// every write blocks until the test lets go.
type stalledStdout struct{ release chan struct{} }

func (w stalledStdout) Write(p []byte) (int, error) {
	<-w.release
	return len(p), nil
}

// TestHeadlessIntoAStalledPipeCostsAFewMiB: with --headless writing into a
// pipe nobody reads, 100 events of 512 KiB through the proxy cost it about
// the printer's queue bound (displayBytes, 16 MiB), not all 50 MiB of them.
func TestHeadlessIntoAStalledPipeCostsAFewMiB(t *testing.T) {
	const events, size = 100, 512 << 10
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range events {
			fmt.Fprintf(w, "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"n\":%d,\"pad\":\"%s\"}}\n\n", i, strings.Repeat(string(rune('a'+i%26)), size))
		}
	}))
	defer up.Close()
	stdout := stalledStdout{release: make(chan struct{})}
	errR, errW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0"}, stdout, errW)
		errW.Close()
	}()
	defer func() { cancel(); close(stdout.release); <-done }()
	addr := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(errR)
		for lines.Scan() {
			if m := regexp.MustCompile(`listening on http://(\S+)`).FindStringSubmatch(lines.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	var base string
	select {
	case base = <-addr:
	case <-time.After(30 * time.Second):
		t.Fatal("mcpscope did not say where it listens")
	}
	before := liveHeap()
	req, _ := http.NewRequest(http.MethodGet, "http://"+base+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if n < events*size {
		t.Fatalf("the client got %d bytes, want all %d events", n, events)
	}
	time.Sleep(100 * time.Millisecond) // the proxy publishes what it deferred
	if held := liveHeap() - before; held > displayBytes+8<<20 {
		t.Errorf("the stalled printer holds %d MiB of the %d MiB that went through, want about %d", held>>20, events*size>>20, displayBytes>>20)
	} else {
		t.Logf("the stalled printer holds %d MiB", held>>20)
	}
	http.DefaultClient.CloseIdleConnections()
}

func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
