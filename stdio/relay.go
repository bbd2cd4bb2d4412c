package stdio

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/mcpscope/mcpscope/hub"
	"github.com/mcpscope/mcpscope/proxy"
)

// relay is the two pipes between a client and a server process, and the
// judge they share.
type relay struct {
	judge   Judge       // nil: a plain relay
	judging atomic.Bool // the judge wants each line (else it observes them)
	lost    atomic.Bool
	once    sync.Once
	stderr  io.Writer
	pending pending
	c2s     *pipe
	s2c     *pipe
}

// newRelay builds the pipes: the client's stdin to the server's stdin,
// the server's stdout to the client's stdout.
func newRelay(judge Judge, window int, clientIn io.Reader, clientOut io.Writer, serverIn io.Writer, serverOut io.Reader, stderr io.Writer) *relay {
	if window <= 0 {
		window = hub.DefaultWindow
	}
	r := &relay{judge: judge, stderr: stderr}
	r.judging.Store(judge != nil && judge.Judging())
	toServer := newOutput(serverIn, "the server's stdin")
	toClient := newOutput(clientOut, "the client's stdout")
	r.c2s = &pipe{dir: proxy.ClientToServer, src: newReader(clientIn), srcName: "the client's stdin",
		out: toServer, back: toClient.backlog(), win: newWindow(window, judge == nil), r: r}
	r.s2c = &pipe{dir: proxy.ServerToClient, src: newReader(serverOut), src0: serverOut, srcName: "the server's stdout",
		out: toClient, back: toServer.backlog(), win: newWindow(window, judge == nil), r: r}
	return r
}

// running is a started relay's progress.
type running struct {
	clientInputWritten  chan struct{} // the client's stdin ended and its lines are written; the server's stdin is closed
	serverOutputRead    chan struct{} // the server's stdout ended
	serverOutputWritten chan struct{} // ... and its lines are written to the client
	judged              chan struct{} // the judge's Run returned
	r                   *relay
}

// backlogsWritten waits until the Back lines of both directions are
// written (or their outputs failed). Call it once both writers ended and
// the server's stdin is closed.
func (x *running) backlogsWritten() {
	<-x.r.c2s.back.Done
	<-x.r.s2c.back.Done
}

// clientReadErr is why reading the client's stdin ended (nil: EOF). Valid
// once clientInputWritten is closed.
func (x *running) clientReadErr() error { return x.r.c2s.readErr }

// serverOutputWaits reports whether the reader of the server's stdout is
// waiting in read for its next bytes.
func (x *running) serverOutputWaits() bool {
	w, ok := x.r.s2c.src0.(serverOutput)
	return ok && w.waiting()
}

// start starts the relay's goroutines: per direction a reader and a
// writer, and the judge's Run. toServer is closed once the client's lines
// are written.
func (r *relay) start(toServer io.Closer) *running {
	x := &running{clientInputWritten: make(chan struct{}), serverOutputRead: make(chan struct{}),
		serverOutputWritten: make(chan struct{}), judged: make(chan struct{}), r: r}
	if r.judge != nil {
		go func() { defer close(x.judged); r.runJudge() }()
	} else {
		close(x.judged)
	}
	go r.c2s.read()
	go func() { r.s2c.read(); close(x.serverOutputRead) }()
	go func() {
		r.c2s.write()
		r.c2s.back.Close()
		toServer.Close()
		close(x.clientInputWritten)
	}()
	go func() { r.s2c.write(); r.s2c.back.Close(); close(x.serverOutputWritten) }()
	return x
}

// answerPending answers each client request the server left unanswered
// with a JSON-RPC error, and says so on stderr.
func (r *relay) answerPending(status int, name string) {
	errs := r.pending.errors(fmt.Sprintf("mcpscope wrap: the server exited (status %d) before answering", status))
	for _, e := range errs {
		r.s2c.out.write(e, true)
	}
	r.s2c.out.flush()
	if len(errs) > 0 {
		fmt.Fprintf(r.stderr, "mcpscope wrap: %s exited (status %d) with %d request(s) unanswered; answered them with an error\n", name, status, len(errs))
	}
}

// deliver hands a verdict to its direction's window.
func (r *relay) deliver(dir proxy.Direction, v hub.Verdict) {
	p := r.c2s
	if dir == proxy.ServerToClient {
		p = r.s2c
	}
	if !p.win.judge(v) {
		r.lose(fmt.Errorf("the judge sent a verdict for no line (%s)", dir))
	}
}

// runJudge delivers the judge's verdicts until it is closed or lost.
func (r *relay) runJudge() {
	if err := r.judge.Run(r.deliver, r.judging.Store); err != nil {
		r.lose(err)
	}
}

// direct reports whether lines go out as they are read, unjudged: there
// is no judge, it is lost, or it said it need not judge them.
func (r *relay) direct() bool { return !r.judging.Load() || r.lost.Load() }

// lose gives up on the judge: the lines in flight go on unjudged, in
// order, and so do the rest; stderr says so once.
func (r *relay) lose(err error) {
	r.once.Do(func() {
		r.lost.Store(true)
		fmt.Fprintf(r.stderr, "mcpscope wrap: lost the hub (%v); relaying the rest unobserved\n", err)
		r.c2s.win.release()
		r.s2c.win.release()
	})
}
