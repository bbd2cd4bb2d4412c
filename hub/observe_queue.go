package hub

import (
	"bytes"
	"sync"
	"time"

	"mcpscope/proxy"
)

// ObserveMax is how many bytes of lines already relayed an observation
// queue holds for an observer that is behind (the hub across its socket,
// or wrap's own engine) before it drops blocks.
const ObserveMax = 4 << 20

// ObserveRate bounds what an observation queue passes on, in Cost (bytes
// plus a fixed amount per line) per second, with bursts of ObserveBurst:
// past it, blocks are dropped and counted as if the observer were behind.
// Observing a line costs the observer (the engine describing it, the
// printer or the UI showing it, across a socket for the hub) several
// times what relaying it costs, on the same cores: without a bound, a
// flood would let observing take the CPU the relay needs, and the
// observer would slow the server. 16 MiB/s is about 50,000 lines of 256
// bytes a second, or 1,000 of 16 KiB: every line of any MCP session a
// person can follow, far more than a screen shows.
const (
	ObserveRate  = 16 << 20
	ObserveBurst = 4 << 20
)

// observed is one item of an observation queue: a block of whole lines
// (each ending in a newline) relayed in dir, or, when missedLines > 0, a
// count of the lines dropped just before the next block.
type observed struct {
	dir         proxy.Direction
	block       []byte
	missedLines int64
	missedBytes int64
}

// observeQueue holds copies of blocks of lines the relay wrote out, for an
// observer on another goroutine. It is bounded in bytes and in rate
// (ObserveRate): push never waits for the observer; a block that does not
// fit is dropped and counted, and
// the count comes out of take just before the next block of its direction,
// so the observer can say where lines are missing. One goroutine takes.
type observeQueue struct {
	mu     sync.Mutex
	items  []observed
	bytes  int
	max    int
	missed [2]observed   // per direction, not yet handed out
	wake   chan struct{} // has a token when items were queued; closed by close
	closed bool
	rate   float64   // Cost a second (0: no bound)
	burst  float64   // the most tokens may hold
	tokens float64   // Cost that may be queued now (a token bucket of rate)
	filled time.Time // when tokens was last topped up
}

func newObserveQueue(max, rate, burst int) *observeQueue {
	return &observeQueue{max: max, rate: float64(rate), burst: float64(burst), tokens: float64(burst), filled: time.Now(), wake: make(chan struct{}, 1)}
}

// admit reports whether n more Cost is within the rate, and takes it.
func (q *observeQueue) admit(n int) bool {
	if q.rate == 0 {
		return true
	}
	now := time.Now()
	q.tokens = min(q.tokens+now.Sub(q.filled).Seconds()*q.rate, q.burst)
	q.filled = now
	if q.tokens < float64(n) {
		return false
	}
	q.tokens -= float64(n)
	return true
}

// push queues a copy of block (whole lines relayed in dir), or counts it
// as missed if the queue is full.
func (q *observeQueue) push(dir proxy.Direction, block []byte) {
	if len(block) == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	m := &q.missed[dirByte(dir)]
	lines := bytes.Count(block, []byte{'\n'})
	if q.bytes+len(block) > q.max && q.bytes > 0 || !q.admit(len(block)+lines*(Cost(nil))) {
		m.dir = dir
		m.missedLines += int64(lines)
		m.missedBytes += int64(len(block))
		return
	}
	if m.missedLines > 0 {
		q.items = append(q.items, *m)
		*m = observed{}
	}
	q.items = append(q.items, observed{dir: dir, block: append([]byte(nil), block...)})
	q.bytes += len(block)
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take moves what is queued into dst (emptied first) and returns it; the
// bytes it held no longer count.
func (q *observeQueue) take(dst []observed) []observed {
	q.mu.Lock()
	defer q.mu.Unlock()
	dst = append(dst[:0], q.items...)
	clear(q.items)
	q.items = q.items[:0]
	q.bytes = 0
	return dst
}

// flushMissed queues the counts of lines dropped since the last block,
// so the next take hands them out (the relay is idle, or ends, or lines go
// to be judged), and wakes the taker if there are any.
func (q *observeQueue) flushMissed() {
	q.mu.Lock()
	defer q.mu.Unlock()
	queued := false
	for i := range q.missed {
		if q.missed[i].missedLines > 0 {
			q.items = append(q.items, q.missed[i])
			q.missed[i] = observed{}
			queued = true
		}
	}
	if queued && !q.closed {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// close ends the taker's wait on wake; later pushes are ignored.
func (q *observeQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.wake)
	}
}

// EachLine calls fn with each line of block, without its newline; empty
// lines are skipped, as the relay never sends them to be judged.
func EachLine(block []byte, fn func(line []byte)) {
	for len(block) > 0 {
		i := bytes.IndexByte(block, '\n')
		if i < 0 {
			i = len(block)
		}
		if i > 0 {
			fn(block[:i])
		}
		block = block[min(i+1, len(block)):]
	}
}
