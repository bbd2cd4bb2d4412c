package bridge

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mcpscope/mcpscope/internal/backlog"
	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/proxy"
)

// A session is one client session: one child process, one Link. Its
// goroutines: the reader (the child's stdout, route.go), the stderr
// drain, and the lifecycle goroutine that waits for the child's exit and
// the reader's end, then finishes the session. They all end once the
// child is reaped and its pipes are closed.
type session struct {
	b     *Bridge
	id    string
	link  *proxy.Link
	child *child

	ctx    context.Context // ends when the session stops: a reader waiting at the gate lets go
	cancel context.CancelFunc

	readDone   chan struct{}
	back       *backlog.Backlog // answers mcpscope gives the child in the client's place
	stderrDone chan struct{}
	passing    atomic.Bool   // the reader is inside Link.Pass (held at the gate or a breakpoint)
	done       chan struct{} // closed when the session ended: child reaped, Link closed
	stopOnce   sync.Once

	mu         sync.Mutex
	calls      map[string]*sink // request id (idKey) → the POST awaiting its answer
	tokens     map[string]*sink // progress token (idKey) → the POST whose request carries it
	streams    []*sink          // SSE POST streams open, for server messages when no GET stream is
	standalone *sink            // the GET stream, if open
	queue      queue            // server messages no stream was open for
	active     int              // requests in flight
	lastSeen   time.Time        // when the last request ended
	version    string           // the negotiated protocol revision
	stopping   string           // why the session is being stopped ("" if it is not)
	ended      string           // how it ended ("" while alive)
}

func newSession(b *Bridge, id string, c *child) *session {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{
		b: b, id: id, child: c, ctx: ctx, cancel: cancel,
		readDone: make(chan struct{}), stderrDone: make(chan struct{}), done: make(chan struct{}),
		calls: make(map[string]*sink), tokens: make(map[string]*sink),
		lastSeen: time.Now(),
	}
	s.link = b.Proxy.OpenLink(proxy.LinkInfo{Name: b.name(), Session: id})
	s.back = backlog.New(func(lines []byte) { c.writeLines(lines) }, backlog.Max) // an error here is the child's exit, which the session reports
	go s.read()
	go func() {
		defer close(s.stderrDone)
		c.drainStderr(b.Stderr)
	}()
	go s.lifecycle()
	return s
}

// stop ends the session (reason says why: "deleted by the client") and
// returns once it has ended: the reader passes nothing more, the child is
// stopped (child.stop) and reaped.
func (s *session) stop(reason string) {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		if s.stopping == "" {
			s.stopping = reason
		}
		s.mu.Unlock()
		s.cancel()
		s.child.stop(s.b.grace())
	})
	<-s.done
}

// lifecycle waits for the child's exit (or stops it if it closed its
// stdout and runs on), then for the reader to reach the end of what the
// child wrote, and finishes the session. What the child started and left
// behind (holding the pipes open) is killed with its process group; pipes
// still open a grace later are closed, unless the reader is held at the
// gate or a breakpoint of a session not stopping.
func (s *session) lifecycle() {
	select {
	case <-s.child.exited:
	case <-s.readDone:
		if !s.child.waitFor(s.b.grace()) { // stdout closed, the process runs on: it can answer nothing more
			s.mu.Lock()
			if s.stopping == "" {
				s.stopping = "the server closed its stdout"
			}
			s.mu.Unlock()
			s.child.stop(s.b.grace())
		}
	}
	signalGroup(s.child.cmd.Process, syscall.SIGKILL) // the child's leftovers: no orphans
	s.awaitPipe(s.readDone, s.child.stdout, true)
	s.back.Close()
	s.awaitPipe(s.stderrDone, s.child.stderr, false)
	s.child.stdout.Close()
	s.child.stderr.Close()
	s.child.closeStdin()
	<-s.back.Done
	s.finish()
}

func (s *session) awaitPipe(done <-chan struct{}, pipe interface{ Close() error }, gated bool) {
	t := time.NewTicker(s.b.grace())
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if gated && s.passing.Load() && s.ctx.Err() == nil {
				continue // held while paused: what it holds is delivered on resume
			}
			pipe.Close()
		}
	}
}

// finish ends the session: the POSTs still waiting answer their requests
// with an error saying how it ended, streams end, the Link closes.
func (s *session) finish() {
	exit := "the server " + s.child.exitReason()
	s.mu.Lock()
	how := exit
	if s.stopping != "" {
		how = s.stopping + "; " + exit
	}
	s.ended = how
	dropped := s.queue.dropped
	s.mu.Unlock()
	s.cancel()
	if dropped > 0 {
		s.b.Proxy.Notice(fmt.Sprintf("session %s ended with %s dropped from its queue (no stream was open to carry them)", s.id, plural.Count(dropped, "server message")))
	}
	s.link.Close(how)
	s.b.forget(s, how)
	close(s.done) // last: stop (DELETE, Close) returns with the session gone from the engine too
}

// begin and end bracket a request: a session with one in flight does not
// expire.
func (s *session) begin() {
	s.mu.Lock()
	s.active++
	s.mu.Unlock()
}

func (s *session) end() {
	s.mu.Lock()
	s.active--
	s.lastSeen = time.Now()
	s.mu.Unlock()
}

func (s *session) idleSince(now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active > 0 {
		return 0
	}
	return now.Sub(s.lastSeen)
}

// endedHow says how the session ended, for errors to the requests it
// leaves unanswered; "" while it has not.
func (s *session) endedHow() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}
