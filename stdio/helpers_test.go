package stdio

import (
	"bufio"
	"context"
	"io"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

func TestMain(m *testing.M) {
	mcptest.RunStdioServerIfAsked()
	goleak.VerifyTestMain(m)
}

// wrapped is a Wrap running in the test: the client's side of its pipes,
// and its exit status once it ends.
type wrapped struct {
	stdin  *io.PipeWriter
	stdout *bufio.Reader
	status chan int
	stderr *lockedBuffer
}

// startWrap runs w with pipes for the client's stdin and stdout. At
// cleanup the client's stdin closes and the test waits for Run to end.
func startWrap(t *testing.T, w *Wrap) *wrapped {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	x := &wrapped{stdin: inW, stdout: bufio.NewReaderSize(outR, 1<<20), status: make(chan int, 1), stderr: &lockedBuffer{}}
	w.Stdin, w.Stdout = inR, outW
	if w.Stderr == nil {
		w.Stderr = io.MultiWriter(x.stderr, os.Stderr)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		x.status <- w.Run(context.Background())
		outW.Close()
	}()
	t.Cleanup(func() {
		inW.Close()
		go io.Copy(io.Discard, outR)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("wrap did not end within 20 s of its stdin closing")
		}
		inR.Close()
		outR.Close()
	})
	return x
}

// send writes one line to wrap's stdin.
func (x *wrapped) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(x.stdin, line+"\n"); err != nil {
		t.Fatalf("writing wrap's stdin: %v", err)
	}
}

// line reads the next line of wrap's stdout (without its newline).
func (x *wrapped) line(t *testing.T) string {
	t.Helper()
	type got struct {
		s   string
		err error
	}
	c := make(chan got, 1)
	go func() {
		s, err := x.stdout.ReadString('\n')
		c <- got{s, err}
	}()
	select {
	case g := <-c:
		if g.err != nil {
			t.Fatalf("reading wrap's stdout: %v (got %q)", g.err, g.s)
		}
		return g.s[:len(g.s)-1]
	case <-time.After(20 * time.Second):
		t.Fatal("no line from wrap within 20 s")
		return ""
	}
}

func (x *wrapped) exit(t *testing.T) int {
	t.Helper()
	select {
	case s := <-x.status:
		return s
	case <-time.After(20 * time.Second):
		t.Fatal("wrap did not exit within 20 s")
		return -1
	}
}

// engine is a proxy with no upstream and an observer of its bus.
type engine struct {
	p    *proxy.Proxy
	mu   sync.Mutex
	seen []*proxy.Observation
	done chan struct{}
}

func newEngine(t *testing.T) *engine {
	e := &engine{p: proxy.New(&url.URL{Scheme: "http", Host: "127.0.0.1:1"}), done: make(chan struct{})}
	sub := e.p.Bus.Subscribe(1<<20, proxy.MaxBytes(256<<20))
	go func() {
		defer close(e.done)
		for {
			batch, err := sub.Next(context.Background())
			if err != nil {
				return
			}
			e.mu.Lock()
			e.seen = append(e.seen, batch...)
			e.mu.Unlock()
		}
	}()
	t.Cleanup(func() { e.p.Bus.Close(); <-e.done })
	return e
}

// await waits until n observations match keep and returns them.
func (e *engine) await(t *testing.T, n int, keep func(*proxy.Observation) bool) []*proxy.Observation {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out []*proxy.Observation
		e.mu.Lock()
		for _, o := range e.seen {
			if keep(o) {
				out = append(out, o)
			}
		}
		e.mu.Unlock()
		if len(out) >= n || time.Now().After(deadline) {
			if len(out) < n {
				t.Fatalf("saw %d matching observations, want %d", len(out), n)
			}
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// awaitFloodHeld waits until the flood server (writing lines in all,
// counting them in the file count) stops writing, held by a pause, and
// fails the test if it never stops or stops only once all is written.
func awaitFloodHeld(t *testing.T, count string, lines int) {
	t.Helper()
	var held int
	for deadline := time.Now().Add(10 * time.Second); ; {
		time.Sleep(200 * time.Millisecond)
		if now := mcptest.ReadFloodCount(count); now > 0 && now == held {
			break
		} else {
			held = now
		}
		if time.Now().After(deadline) {
			t.Fatal("the flood never stopped at the paused hub")
		}
	}
	if held >= lines {
		t.Fatalf("the paused hub held nothing: all %d lines written", held)
	}
}
