package hub

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// ObserveMax is how many bytes of lines already relayed an observation
// queue holds for an observer that is behind (the hub across its socket,
// or wrap's own engine) before it drops blocks.
const ObserveMax = 4 << 20

// ObserveRate bounds what an observation queue passes on, in bytes plus
// ObserveLineCost a line, per second, with bursts of ObserveBurst: past
// it, blocks are dropped and counted as if the observer were behind.
// Observing a line costs the observer (the engine describing it, the
// printer or the UI showing it, across a socket for the hub) several
// times what relaying it costs, on the same cores, and mostly per line
// (about 1 µs of engine and printer for a 256 B line, 1 ns a byte more
// for long ones): without a bound, a flood would let observing take the
// CPU the relay needs, and the observer would slow the server. 16 MiB/s is
// about 20,000 lines of 256 bytes a second, or 1,000 of 16 KiB, in bursts
// of 1 MiB (1,300 short lines at once): every line of any MCP session a
// person can follow, far more than a screen shows.
const (
	ObserveRate     = 16 << 20
	ObserveBurst    = 1 << 20
	ObserveLineCost = 512
)

// missedEvery is how often at most the counts of dropped lines are handed
// out: a flood yields a notice per direction every 100 ms, not one per
// dropped block.
const missedEvery = 100 * time.Millisecond

// observeCoalesce is how long the consumer of an observation queue waits,
// after taking blocks, before it takes again: under a flood the blocks of
// 5 ms go to the observer together instead of one wake-up of the hub per
// read of the relay. Measured out of process (1 GiB of 256 B lines through
// wrap to a headless hub, 2 cores): without it the hub woke about 2,700
// times a second (26,000 context switches, 14,500 futex calls a run) and
// spent most of its CPU going to sleep and waking, about a third of a
// core taken from the server and the relay. A first block after a quiet
// spell goes at once; only what follows it waits.
const observeCoalesce = 5 * time.Millisecond

// observed is one item of an observation queue: a block of whole lines
// (each ending in a newline) relayed in dir, or, when missedLines > 0, a
// count of lines dropped before it.
type observed struct {
	dir         proxy.Direction
	block       []byte
	at          time.Time // when the relay read block
	missedLines int64
	missedBytes int64
}

// observeQueue holds copies of blocks of lines the relay wrote out, for an
// observer on another goroutine (consume). It is bounded in bytes and in
// rate: push never waits for the observer; a block that does not fit is
// dropped and counted, and the counts come out at most every missedEvery
// (or at once when forced: before a line to be judged, at the end), so
// what is shown plus what is counted is every line. One goroutine takes.
type observeQueue struct {
	mu       sync.Mutex
	items    []observed
	bytes    int
	max      int
	missed   [2]observed   // per direction, not yet handed out
	missedAt time.Time     // when the oldest count not yet handed out began
	kicked   bool          // the consumer was woken for those counts (it then waits for them to be due)
	unkicked atomic.Bool   // counts wait and the consumer was not woken for them: kick's fast path
	wake     chan struct{} // has a token when there is something to take; closed by close
	closed   bool
	done     chan struct{} // closed by close: ends a coalescing wait
	taken    int           // how many takes found blocks: consume's test for "something went"
	rate     float64       // Cost a second (0: no bound)
	burst    float64       // the most tokens may hold
	tokens   float64       // Cost that may be queued now (a token bucket of rate)
	filled   time.Time     // when tokens was last topped up
}

func newObserveQueue(max, rate, burst int) *observeQueue {
	return &observeQueue{max: max, rate: float64(rate), burst: float64(burst), tokens: float64(burst), filled: time.Now(), wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// admit reports whether n more Cost is within the rate, and takes it. A
// block costing more than a whole burst (one line of up to hub.MaxLine) is
// admitted when the bucket is full, and its debt repaid at the rate
// before anything else is: a large message is shown, not counted forever.
func (q *observeQueue) admit(now time.Time, n int) bool {
	if q.rate == 0 {
		return true
	}
	q.tokens = min(q.tokens+now.Sub(q.filled).Seconds()*q.rate, q.burst)
	q.filled = now
	if q.tokens < min(float64(n), q.burst) {
		return false
	}
	q.tokens -= float64(n)
	return true
}

// push queues a copy of block (whole lines relayed in dir, read at at),
// or counts it as missed if the queue is full or past its rate.
func (q *observeQueue) push(dir proxy.Direction, block []byte, at time.Time) {
	if len(block) == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	now := time.Now()
	lines := bytes.Count(block, []byte{'\n'})
	if q.bytes+len(block) > q.max && q.bytes > 0 || !q.admit(now, len(block)+lines*ObserveLineCost) {
		m := &q.missed[dirByte(dir)]
		if q.missedAt.IsZero() {
			q.missedAt = now
			q.unkicked.Store(true)
		}
		m.dir = dir
		m.missedLines += int64(max(lines, 1))
		m.missedBytes += int64(len(block))
		return
	}
	q.queueMissedLocked(now, false)
	q.items = append(q.items, observed{dir: dir, block: append([]byte(nil), block...), at: at})
	q.bytes += len(block)
	q.wakeLocked()
}

// queueMissedLocked queues the counts of dropped lines if forced or if
// they are missedEvery old, and reports whether counts remain. Callers
// hold mu.
func (q *observeQueue) queueMissedLocked(now time.Time, force bool) bool {
	if q.missedAt.IsZero() {
		return false
	}
	if !force && now.Sub(q.missedAt) < missedEvery {
		return true
	}
	for i := range q.missed {
		if q.missed[i].missedLines > 0 {
			q.items = append(q.items, q.missed[i])
			q.missed[i] = observed{}
		}
	}
	q.missedAt, q.kicked = time.Time{}, false
	q.unkicked.Store(false)
	return false
}

func (q *observeQueue) wakeLocked() {
	if !q.closed {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// take moves what is queued into dst (emptied first) and returns it; the
// bytes it held no longer count. force hands out the counts of dropped
// lines now, however recent.
func (q *observeQueue) take(dst []observed, force bool) []observed {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queueMissedLocked(time.Now(), force)
	if len(q.items) > 0 {
		q.taken++
	}
	dst = append(dst[:0], q.items...)
	clear(q.items)
	q.items = q.items[:0]
	q.bytes = 0
	return dst
}

// kick wakes the consumer, once per run of counts, if counts of dropped
// lines wait (the relay is about to idle: a count must not wait for the
// next block; woken, the consumer waits until they are due).
func (q *observeQueue) kick() {
	if !q.unkicked.Load() {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.missedAt.IsZero() && !q.kicked {
		q.kicked = true
		q.wakeLocked()
	}
	q.unkicked.Store(false)
}

// consume calls show each time there may be something to take, until
// close; then once more with final set (take everything, counts too).
// While counts of dropped lines wait, it calls show again once they are
// due. After a show that took blocks it waits observeCoalesce (or until
// close) before the next.
func (q *observeQueue) consume(show func(final bool)) {
	due := time.NewTimer(time.Hour)
	due.Stop()
	defer due.Stop()
	pause := time.NewTimer(time.Hour)
	pause.Stop()
	defer pause.Stop()
	for {
		select {
		case _, ok := <-q.wake:
			if !ok {
				show(true)
				return
			}
		case <-due.C:
		}
		q.mu.Lock()
		taken := q.taken
		q.mu.Unlock()
		show(false)
		q.mu.Lock()
		if !q.missedAt.IsZero() {
			due.Reset(missedEvery - time.Since(q.missedAt))
		}
		took := q.taken != taken
		q.mu.Unlock()
		if took {
			pause.Reset(observeCoalesce)
			select {
			case <-pause.C:
			case <-q.done:
				pause.Stop()
			}
		}
	}
}

// close ends consume (after a last show); later pushes are ignored.
func (q *observeQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.wake)
		close(q.done)
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
