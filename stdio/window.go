package stdio

import (
	"sync"

	"github.com/mcpscope/mcpscope/hub"
)

// entry is one line in flight: read from its source, maybe sent to the
// judge, not yet written out.
type entry struct {
	line   []byte // without its newline
	nl     bool   // the line ended with a newline (the last line of a stream may not)
	judged bool
	v      hub.Verdict
}

// window is one direction's lines in flight, in order, bounded in bytes
// (hub.Cost): the reader pushes, the judge's verdicts mark them in order,
// the writer pops the oldest once it is judged. While the judge holds
// lines (a paused hub), the window fills and push blocks: the reader stops
// reading its source, and the source's writer blocks on the full pipe.
type window struct {
	mu       sync.Mutex
	space    sync.Cond // signalled when bytes fall or the window ends
	ready    sync.Cond // signalled when the oldest line is judged, or the window ends
	items    []*entry
	head     int // items[head] is the oldest line
	judged   int // items[judged] is the oldest unjudged line
	bytes    int // hub.Cost of the lines in items[head:] and those being written
	max      int
	unjudged bool // no judge (any more): lines are judged (unchanged) as they come
	closed   bool // the source ended: the writer ends once the window is empty
	aborted  bool // give up: push and pop return at once
}

func newWindow(max int, unjudged bool) *window {
	w := &window{max: max, unjudged: unjudged}
	w.space.L, w.ready.L = &w.mu, &w.mu
	return w
}

// push adds e, waiting while the window is full (a line larger than the
// window goes alone). It reports whether e must be sent to the judge
// (false: it is already judged unchanged), and ok false if aborted.
func (w *window) push(e *entry, judge bool) (send, ok bool) {
	cost := hub.Cost(e.line)
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.bytes > 0 && w.bytes+cost > w.max && !w.aborted {
		w.space.Wait()
	}
	if w.aborted {
		return false, false
	}
	w.bytes += cost
	w.items = append(w.items, e)
	if !judge || w.unjudged {
		e.judged = true
		if w.judged == len(w.items)-1 {
			w.judged++
			w.ready.Signal()
		}
		return false, true
	}
	return true, true
}

// full reports whether pushing a line of this cost would wait now.
func (w *window) full(cost int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bytes > 0 && w.bytes+cost > w.max
}

// judge gives the oldest unjudged line its verdict. It reports false if
// no line awaits one (a judge that sent too many).
func (w *window) judge(v hub.Verdict) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.judged >= len(w.items) {
		return false
	}
	e := w.items[w.judged]
	e.v, e.judged = v, true
	wasHead := w.judged == w.head
	w.judged++
	for w.judged < len(w.items) && w.items[w.judged].judged { // lines pushed unjudged after it
		w.judged++
	}
	if wasHead {
		w.ready.Signal()
	}
	return true
}

// release judges every line still waiting unchanged, and every later one
// as it comes: the judge is gone.
func (w *window) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unjudged = true
	for ; w.judged < len(w.items); w.judged++ {
		w.items[w.judged].judged = true
	}
	w.ready.Broadcast()
}

// pop returns the oldest line once it is judged, and whether the next one
// is judged too (the writer flushes when not); nil once the window is
// closed and empty, or aborted. The line counts against the window until
// done.
func (w *window) pop() (e *entry, more bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for !w.aborted && w.judged == w.head && !(w.closed && w.head == len(w.items)) {
		w.ready.Wait()
	}
	if w.aborted || w.head == len(w.items) {
		return nil, false
	}
	e = w.items[w.head]
	w.items[w.head] = nil
	w.head++
	switch {
	case w.head == len(w.items):
		w.items, w.head, w.judged = w.items[:0], 0, 0
	case w.head >= 1024 && 2*w.head >= len(w.items): // a window never empty still reuses its slice
		n := copy(w.items, w.items[w.head:])
		clear(w.items[n:])
		w.items, w.judged, w.head = w.items[:n], w.judged-w.head, 0
	}
	return e, w.judged > w.head
}

// done un-counts a line the writer wrote.
func (w *window) done(e *entry) {
	w.mu.Lock()
	w.bytes -= hub.Cost(e.line)
	w.space.Broadcast()
	w.mu.Unlock()
}

// empty reports whether every line pushed is written.
func (w *window) empty() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bytes == 0
}

// awaitEmpty waits until every line pushed is written; false if aborted.
func (w *window) awaitEmpty() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.bytes > 0 && !w.aborted {
		w.space.Wait()
	}
	return !w.aborted
}

// close says the source ended: pop returns nil once the rest is written.
func (w *window) close() {
	w.mu.Lock()
	w.closed = true
	w.ready.Broadcast()
	w.mu.Unlock()
}

// abort ends every wait at once.
func (w *window) abort() {
	w.mu.Lock()
	w.aborted = true
	w.ready.Broadcast()
	w.space.Broadcast()
	w.mu.Unlock()
}
