// Package backlog writes lines to a stdio peer from a goroutine of its
// own, for the stdio relays' answers in a peer's place.
package backlog

import "sync"

// A Backlog writes lines (mcpscope answering a peer's request in the other
// peer's place) to a peer's input from a goroutine of its own, so the
// goroutine that reads the peer's output and produced the answers goes on
// at once. If it waited there, a single-threaded server that writes many
// requests before it reads its stdin would wait on its stdout while
// mcpscope waited on its stdin.
//
// It holds at most max bytes; Put blocks beyond that, until the peer takes
// lines or its input fails. Lines are written in the order put. So a
// server that writes requests mcpscope answers and reads none of the
// answers waits once they exceed Max and a pipe, as it would on a client
// that stopped reading.
type Backlog struct {
	write  func(lines []byte)
	max    int
	mu     sync.Mutex
	more   sync.Cond // lines arrived, or close
	room   sync.Cond // lines left for the output
	lines  []byte    // whole lines, each with its newline
	closed bool
	// Done is closed once the goroutine has ended: after Close, with every
	// line written (or dropped by write, once the input failed).
	Done chan struct{}
}

// Max bounds the lines waiting in a Backlog: answers to some 20,000
// requests of a server that does not read while it writes.
const Max = 4 << 20

// New starts a Backlog that hands whole lines, several at a time, to
// write, which must not keep them. write handles its own errors (a peer
// whose input failed drops the rest).
func New(write func(lines []byte), max int) *Backlog {
	b := &Backlog{write: write, max: max, Done: make(chan struct{})}
	b.more.L, b.room.L = &b.mu, &b.mu
	go b.run()
	return b
}

// Put queues line and a newline.
func (b *Backlog) Put(line []byte) {
	b.mu.Lock()
	for len(b.lines) > 0 && len(b.lines)+len(line)+1 > b.max && !b.closed {
		b.room.Wait()
	}
	b.lines = append(append(b.lines, line...), '\n')
	b.mu.Unlock()
	b.more.Signal()
}

// Close says no more lines come: the goroutine writes those queued and
// ends (Done closes). It does not wait.
func (b *Backlog) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.more.Signal()
	b.room.Broadcast()
}

func (b *Backlog) run() {
	defer close(b.Done)
	var spare []byte
	for {
		b.mu.Lock()
		for len(b.lines) == 0 && !b.closed {
			b.more.Wait()
		}
		batch, done := b.lines, b.closed && len(b.lines) == 0
		b.lines = spare[:0]
		b.mu.Unlock()
		if done {
			return
		}
		b.write(batch)
		spare = batch
		b.room.Broadcast()
	}
}
