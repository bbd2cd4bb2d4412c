// Package stdio is `mcpscope wrap`: it runs a stdio MCP server (CMD) for
// the client that launched mcpscope in its place, relays the client's
// stdin to CMD's stdin and CMD's stdout to the client's stdout line by
// line, byte for byte, and passes CMD's stderr through. Each line may be
// judged on the way (a Judge: the hub over its socket, or an engine in
// process); with no judge it is a plain relay.
//
// Per direction a reader goroutine reads lines and sends them to the judge
// while a writer goroutine writes them out as the verdicts come back, in
// order: lines are pipelined, never one round trip each. What is in flight
// is bounded by a window in bytes, so a judge that holds lines (a paused
// hub) stops the reading, and CMD's writes block on the full pipe.
package stdio

import (
	"context"
	"sync"
	"time"

	"github.com/mcpscope/mcpscope/hub"
	"github.com/mcpscope/mcpscope/proxy"
)

// A Judge decides what happens to each line. hub.Client is one; Local
// another.
type Judge interface {
	// Send hands over a line (without its newline) travelling in dir. The
	// judge may keep line until it delivers its verdict; the relay does not
	// change it. Verdicts come back through Run's deliver, in order per
	// direction.
	Send(dir proxy.Direction, line []byte) error
	// Oversized says a line of size bytes, too long to judge, was relayed
	// in dir after the lines sent before it; prefix is its start.
	Oversized(dir proxy.Direction, size int64, prefix []byte) error
	// Flush sends what Send buffered; the relay calls it before it waits
	// for more input.
	Flush() error
	// Observe hands over a block of whole lines (each with its newline)
	// relayed in dir, just before the relay writes it out, while the judge
	// said it need not judge them (so what the peer answers is observed
	// after it). It must not wait for the judge: one that falls behind
	// drops blocks and says how many lines it missed. block is not kept;
	// at is when the relay read it (the observations' time).
	Observe(dir proxy.Direction, block []byte, at time.Time)
	// Judging is the mode lines start in (true: send each line and wait
	// for its verdict; false: write lines at once and Observe them).
	Judging() bool
	// Run delivers the verdicts, and each change of the judge's mode,
	// until Close (nil) or until the judge is lost (why).
	Run(deliver func(dir proxy.Direction, v hub.Verdict), steer func(judge bool)) error
	// Close ends the session, saying why.
	Close(reason string)
}

// Local judges lines in process, through a Link of p (wrap's --record and
// --rules when no hub runs).
type Local struct {
	runner *hub.Runner
	link   *proxy.Link
	closed chan struct{}
	once   sync.Once
}

// NewLocal opens a Link of p named name; window bounds the bytes queued per
// direction (the relay's own window).
func NewLocal(p *proxy.Proxy, name string, window int) *Local {
	if window <= 0 {
		window = hub.DefaultWindow
	}
	link := p.OpenLink(proxy.LinkInfo{Name: name})
	return &Local{runner: hub.NewRunner(p, link, window), link: link, closed: make(chan struct{})}
}

func (l *Local) Send(dir proxy.Direction, line []byte) error { return l.runner.Send(dir, line) }

func (l *Local) Oversized(dir proxy.Direction, size int64, prefix []byte) error {
	l.runner.Oversized(dir, size, prefix)
	return nil
}

func (l *Local) Flush() error {
	l.runner.FlushObserved()
	return nil
}

func (l *Local) Judging() bool { return l.link.Steered() }

func (l *Local) Observe(dir proxy.Direction, block []byte, at time.Time) {
	l.runner.Observe(dir, block, at)
}

func (l *Local) Run(deliver func(dir proxy.Direction, v hub.Verdict), steer func(judge bool)) error {
	l.runner.Start(func(dir proxy.Direction, v hub.Verdict, _ bool) { deliver(dir, v) })
	ctx, stop := context.WithCancel(context.Background())
	go func() { <-l.closed; stop() }()
	l.link.WatchSteer(ctx, steer)
	return nil
}

// Close ends the runner's goroutines and closes the Link with reason.
func (l *Local) Close(reason string) {
	l.once.Do(func() {
		l.runner.Close()
		l.link.Close(reason)
		close(l.closed)
	})
}
