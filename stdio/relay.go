package stdio

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"mcpscope/hub"
	"mcpscope/proxy"
)

// relay is the two pipes between a client and a server process, and the
// judge they share.
type relay struct {
	judge   Judge // nil: a plain relay
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
	toServer := newOutput(serverIn, "the server's stdin")
	toClient := newOutput(clientOut, "the client's stdout")
	r.c2s = &pipe{dir: proxy.ClientToServer, src: newReader(clientIn), srcName: "the client's stdin",
		out: toServer, back: toClient, win: newWindow(window, judge == nil), r: r}
	r.s2c = &pipe{dir: proxy.ServerToClient, src: newReader(serverOut), srcName: "the server's stdout",
		out: toClient, back: toServer, win: newWindow(window, judge == nil), r: r}
	return r
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
	if err := r.judge.Run(r.deliver); err != nil {
		r.lose(err)
	}
}

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
