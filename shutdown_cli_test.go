package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestQuitDoesNotWaitForOpenStreams: an MCP client keeps an SSE stream
// open for as long as it runs, so a shutdown that waited for every request
// in flight would hold each quit for its whole grace. mcpscope stops at
// once, and its output still says the stream closed.
func TestQuitDoesNotWaitForOpenStreams(t *testing.T) {
	grace := shutdownGrace
	shutdownGrace = 30 * time.Second // long, so that waiting for it shows
	t.Cleanup(func() { shutdownGrace = grace })
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte(": open\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // an idle stream: it ends when its client goes
	}))
	t.Cleanup(up.Close)
	found, stdout, stop := startCLIStoppable(t, []string{"-u", up.URL + "/mcp", "--headless", "-l", "127.0.0.1:0"}, `listening on http://(\S+)`)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+found[0]+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || line != ": open\n" {
		t.Fatalf("the stream's first line through mcpscope: %q, %v", line, err)
	}
	start := time.Now()
	stop()
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("stopping took %v with one idle stream open: it waited for the stream", took)
	}
	if !strings.Contains(stdout.String(), `"type":"stream_closed"`) {
		t.Fatalf("the output does not say the stream closed:\n%.2000s", stdout.String())
	}
}

// bigAnswers is an upstream whose every answer is 256 KiB of JSON.
func bigAnswers(t *testing.T) string {
	big := `{"jsonrpc":"2.0","id":1,"result":{"text":"` + strings.Repeat("x", 256<<10) + `"}}`
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(big))
	}))
	t.Cleanup(up.Close)
	return up.URL
}

// runStalled runs mcpscope with args, stdout and stderr, posts 1 MiB of
// answers through it, then stops it as SIGTERM does and fails the test
// unless it exits within the given time with status 1 (output was lost).
// It returns its stderr.
func runStalled(t *testing.T, args []string, stdout io.Writer, stderr interface {
	io.Writer
	String() string
}, within time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, args, stdout, stderr) }()
	addr := ""
	for deadline := time.Now().Add(10 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := regexp.MustCompile(`listening on http://(\S+)`).FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("mcpscope did not start: %s", stderr.String())
	}
	for range 4 { // far more than a pipe holds
		resp, err := http.Post("http://"+addr+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"big"}}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	start := time.Now()
	cancel()
	select {
	case status := <-exited:
		if took := time.Since(start); took > within {
			t.Errorf("stopping took %v, want at most %v", took, within)
		}
		if status != 1 {
			t.Errorf("exit status %d, want 1: output was lost", status)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("mcpscope did not stop within 10 s; stderr:\n%s", stderr.String())
		return "" // the cleanup unblocks the output, and run returns then
	}
	return stderr.String()
}

// TestShutdownWithAStalledRecording records into a FIFO that is open but
// never read: the recorder's writes block once the pipe's buffer is full.
// A shutdown must still end within its bound (it once waited for the
// recorder for good), and stderr must say how many observations were not
// written.
func TestShutdownWithAStalledRecording(t *testing.T) {
	grace := shutdownGrace
	shutdownGrace = 500 * time.Millisecond
	t.Cleanup(func() { shutdownGrace = grace })
	stderr := runStalled(t, []string{"-u", bigAnswers(t) + "/mcp", "--headless", "-l", "127.0.0.1:0", "--record", stalledFIFO(t)}, io.Discard, &syncBuffer{}, 5*time.Second)
	if !regexp.MustCompile(`recording: .* [1-9]\d* observations? (was|were) not written`).MatchString(stderr) {
		t.Errorf("stderr does not say how many observations were not written:\n%s", stderr)
	}
}

// stalledPipe is a pipe whose reader stopped: it takes room bytes, then
// blocks every Write until it is released. It is safe for concurrent use.
type stalledPipe struct {
	mu      sync.Mutex
	took    strings.Builder
	room    int
	release chan struct{}
}

func newStalledPipe(t *testing.T, room int) *stalledPipe {
	w := &stalledPipe{room: room, release: make(chan struct{})}
	t.Cleanup(func() { close(w.release) })
	return w
}

func (w *stalledPipe) Write(p []byte) (int, error) {
	w.mu.Lock()
	n := min(len(p), w.room-w.took.Len())
	w.took.Write(p[:n])
	w.mu.Unlock()
	if n == len(p) {
		return n, nil
	}
	<-w.release
	return n, io.ErrClosedPipe
}

// String returns what the pipe took.
func (w *stalledPipe) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.took.String()
}

// TestShutdownWithStalledOutput prints headless JSON Lines to an output
// nobody reads: the shutdown must still end within its bound (it once
// waited for the printer for good) and say what was not printed.
func TestShutdownWithStalledOutput(t *testing.T) {
	grace := shutdownGrace
	shutdownGrace = 500 * time.Millisecond
	t.Cleanup(func() { shutdownGrace = grace })
	stderr := runStalled(t, []string{"-u", bigAnswers(t) + "/mcp", "--headless", "-l", "127.0.0.1:0"}, newStalledPipe(t, 0), &syncBuffer{}, 5*time.Second)
	if !regexp.MustCompile(`output: .* observations? not printed`).MatchString(stderr) {
		t.Errorf("stderr does not say what was not printed:\n%s", stderr)
	}
}

// stalledFIFO makes a FIFO that is open but never read, to record into:
// the recorder's writes block once the pipe's buffer is full.
func stalledFIFO(t *testing.T) string {
	fifo := filepath.Join(t.TempDir(), "rec.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	reader, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0) // open, never read
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reader.Close() }) // lets a recorder still blocked end (with EPIPE)
	return fifo
}

// TestShutdownGivesStalledOutputsOneGrace stalls both the headless output
// and the recording: they drain at once, so the exit comes one grace after
// the proxy stopped, not one grace each (as it once did).
func TestShutdownGivesStalledOutputsOneGrace(t *testing.T) {
	grace := shutdownGrace
	shutdownGrace = time.Second
	t.Cleanup(func() { shutdownGrace = grace })
	args := []string{"-u", bigAnswers(t) + "/mcp", "--headless", "-l", "127.0.0.1:0", "--record", stalledFIFO(t)}
	stderr := runStalled(t, args, newStalledPipe(t, 0), &syncBuffer{}, 1700*time.Millisecond)
	if !strings.Contains(stderr, "not printed") || !strings.Contains(stderr, "not written") {
		t.Errorf("stderr does not say what both lost:\n%s", stderr)
	}
}

// TestShutdownWithStderrOnTheStalledPipe sends stdout and stderr into one
// pipe nobody reads (`--headless 2>&1 | stalled`): the messages that say
// what was given up must not hold the exit themselves (they once blocked
// it for good).
func TestShutdownWithStderrOnTheStalledPipe(t *testing.T) {
	grace := shutdownGrace
	shutdownGrace = 500 * time.Millisecond
	t.Cleanup(func() { shutdownGrace = grace })
	pipe := newStalledPipe(t, 64<<10) // a Linux pipe's buffer
	args := []string{"-u", bigAnswers(t) + "/mcp", "--headless", "-l", "127.0.0.1:0", "--record", stalledFIFO(t)}
	runStalled(t, args, pipe, pipe, 3*time.Second)
}
