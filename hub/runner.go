package hub

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// A Runner passes the lines of one wrapped session through its Link, one
// goroutine per direction, so a paused server→client direction never
// stops client→server lines. It runs inside the hub for each wrap
// connection, and inside wrap itself when wrap judges lines locally
// (--record, --rules with no hub).
//
// Send queues a line; the direction's goroutine passes the queued lines
// in order and hands each verdict to deliver. Each direction's queue holds
// at most window bytes (Cost): a sender that exceeds it is told so by
// Send's error (wrap never does: its own window is the same bound).
type Runner struct {
	p       *proxy.Proxy
	link    *proxy.Link
	ctx     context.Context
	cancel  context.CancelFunc
	dirs    [2]*lineQueue
	wg      sync.WaitGroup
	started bool

	observe   *observeQueue // blocks already relayed, to be shown (Observe)
	observing sync.Mutex    // held while observed blocks are shown
	observed  []observed
}

// NewRunner returns a Runner for link, a Link of p, whose queues hold at
// most window bytes each. Start it, then Close it.
func NewRunner(p *proxy.Proxy, link *proxy.Link, window int) *Runner {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{p: p, link: link, ctx: ctx, cancel: cancel, observe: newObserveQueue(ObserveMax, ObserveRate, ObserveBurst)}
	for i := range r.dirs {
		r.dirs[i] = &lineQueue{max: window, wake: make(chan struct{}, 1)}
	}
	return r
}

// Start starts the two goroutines. deliver is called from them, in order
// per direction, with each line's verdict; more says that more lines of
// that direction are queued (a writer may wait before it flushes).
func (r *Runner) Start(deliver func(dir proxy.Direction, v Verdict, more bool)) {
	r.started = true
	r.wg.Go(func() { r.observe.consume(r.showObserved) })
	for i, dir := range []proxy.Direction{proxy.ClientToServer, proxy.ServerToClient} {
		q := r.dirs[i]
		r.wg.Go(func() {
			for {
				line, ok := q.pop(r.ctx)
				if !ok {
					return
				}
				v, err := r.link.Pass(r.ctx, dir, line)
				if err != nil {
					return // the runner is closing
				}
				more := q.release(Cost(line))
				deliver(dir, verdictOf(line, v), more)
			}
		})
	}
}

// Send queues line (without its newline) travelling in dir; the Runner
// owns line from now on. It fails if the queue would exceed the window.
func (r *Runner) Send(dir proxy.Direction, line []byte) error {
	r.showObserved(true) // what was relayed before it is shown before it
	return r.dirs[dirByte(dir)].push(line)
}

// Observe queues a copy of block (whole lines, each with its newline,
// relayed in dir, handed over just before they are written out) to be
// shown (proxy.Link.Observe) on a goroutine of the Runner's. It never waits: past ObserveMax queued it
// drops the block and a notice says how many lines were not shown. at is
// when the relay read block: its lines are published with that time.
func (r *Runner) Observe(dir proxy.Direction, block []byte, at time.Time) {
	r.observe.push(dir, block, at)
}

// FlushObserved has the counts of lines Observe dropped shown once due
// (the relay calls it before it waits for input).
func (r *Runner) FlushObserved() { r.observe.kick() }

// showObserved shows every block Observe queued, and the counts of lines
// it dropped once due (all of them if force).
func (r *Runner) showObserved(force bool) {
	r.observing.Lock()
	defer r.observing.Unlock()
	r.observed = r.observe.take(r.observed, force)
	for _, o := range r.observed {
		if o.missedLines > 0 {
			r.link.Unobserved(o.dir, o.missedLines, o.missedBytes)
			continue
		}
		EachLine(o.block, func(line []byte) { r.link.Observe(o.dir, line, o.at) })
	}
	clear(r.observed)
}

// Oversized publishes that a line too long to judge (size bytes, starting
// with prefix) went by in dir, after the lines sent before it.
func (r *Runner) Oversized(dir proxy.Direction, size int64, prefix []byte) {
	if !r.p.Bus.Active() {
		return
	}
	r.p.Bus.Publish(&proxy.Observation{Type: proxy.TypeMessage, Session: r.link.Session(), Stream: r.link.Stream(),
		Direction: dir, Kind: proxy.KindInvalid, Size: int(size), Body: string(prefix), Flags: []string{"oversized"},
		Reason: fmt.Sprintf("a line of %d bytes, longer than %d: relayed as it streamed, not judged (rules do not apply); body is its first %d bytes", size, MaxLine, len(prefix))})
}

// Close ends the goroutines (a line waiting at the gate or a breakpoint is
// let go unforwarded) and waits for them.
func (r *Runner) Close() {
	r.observe.close()
	r.cancel()
	r.wg.Wait()
}

// lineQueue is one direction's lines waiting to be passed, bounded in
// bytes. One goroutine pushes, one pops.
type lineQueue struct {
	mu    sync.Mutex
	lines [][]byte
	head  int
	bytes int
	max   int
	wake  chan struct{}
}

func (q *lineQueue) push(line []byte) error {
	q.mu.Lock()
	cost := Cost(line)
	if q.bytes > 0 && q.bytes+cost > q.max {
		q.mu.Unlock()
		return fmt.Errorf("the peer sent more than its window of %d bytes in flight", q.max)
	}
	q.bytes += cost
	q.lines = append(q.lines, line)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// pop returns the oldest line, waiting for one until ctx ends. The line
// still counts against the window until release.
func (q *lineQueue) pop(ctx context.Context) ([]byte, bool) {
	for {
		q.mu.Lock()
		if q.head < len(q.lines) {
			line := q.lines[q.head]
			q.lines[q.head] = nil
			q.head++
			if q.head == len(q.lines) {
				q.lines, q.head = q.lines[:0], 0
			}
			q.mu.Unlock()
			return line, true
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// release un-counts a passed line and reports whether more are queued.
func (q *lineQueue) release(cost int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.bytes -= cost
	return q.head < len(q.lines)
}
