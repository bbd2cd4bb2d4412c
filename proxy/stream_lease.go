package proxy

import (
	"flag"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// A lease is a pooled read buffer whose bytes the observations of the
// events read into it share (borrow) instead of copying them. It counts its
// holders: the stream while the buffer is its current chunk, each captured
// block until its observation is published, and each borrowing subscriber
// that queued one of those observations, until it is done with it (see
// Subscription.NextBorrowed). The last to let go returns the buffer to the
// pool.
//
// Letting go too early would let an observer read bytes of a later read,
// so every reader of a borrowed string holds a reference, and observations
// reach observers that keep them (Subscription.Next) as owned copies
// (Observation.owned). Never letting go is safe: the garbage collector
// takes the buffer, and a cleanup then gives its place in the budget back
// (returnLeaked); but until a collection runs the place stays taken, so
// every holder releases (the subscription does for its reader: when the
// lent batch's callback returns, and for its queue when it closes).
type lease struct {
	buf   []byte
	state *leaseState
}

// leaseState is a lease's count of holders and the budget it is out of,
// kept apart from the lease so that the lease's cleanup can read it.
type leaseState struct {
	refs   atomic.Int32
	budget atomic.Pointer[leaseBudget] // set while the lease is out
}

func newLease() any {
	l := &lease{buf: make([]byte, leaseSize), state: new(leaseState)}
	runtime.AddCleanup(l, returnLeaked, l.state)
	return l
}

// returnLeaked runs once a lease is garbage: if it was still out, a holder
// never let go, and its place in the budget comes back.
func returnLeaked(st *leaseState) {
	if b := st.budget.Load(); b != nil {
		b.out.Add(-1)
	}
}

// leaseBudget bounds how many leases are out at once, so observers that
// fall behind pin at most maxLeases buffers in all; past that, streams copy
// what they observe, as they do on small reads. One budget is shared by
// every stream (sharedLeases): a bulk stream whose observer lags a few
// milliseconds needs many, idle ones none.
type leaseBudget struct {
	out atomic.Int32
	max int32
}

const (
	leaseSize = 128 << 10
	maxLeases = 512 // 64 MiB of buffers
)

var sharedLeases = leaseBudget{max: maxLeases}

var leasePool = sync.Pool{New: newLease}

// take leases a buffer from the pool, with the taker's reference; nil
// when the budget is spent.
func (b *leaseBudget) take() *lease {
	if b.out.Load() >= b.max {
		return nil
	}
	b.out.Add(1)
	l := leasePool.Get().(*lease)
	l.state.refs.Store(1)
	l.state.budget.Store(b)
	return l
}

// retain adds a holder; the caller must already hold a reference.
func (l *lease) retain() { l.state.refs.Add(1) }

// release lets go of one reference; the last returns the buffer to the
// pool (overwritten first in tests, see poisonReleased).
func (l *lease) release() {
	switch n := l.state.refs.Add(-1); {
	case n > 0:
		return
	case n < 0:
		panic("proxy: lease released more often than retained")
	}
	if poisonReleased() {
		for i := range l.buf {
			l.buf[i] = 0xDB
		}
	}
	l.state.budget.Swap(nil).out.Add(-1)
	leasePool.Put(l)
}

// poisonReleased tells whether released buffers are overwritten: in tests,
// not in benchmarks or the program. An observer that read borrowed bytes
// after letting them go then sees garbage, and its test fails, instead of
// bytes that are only right until the buffer is reused. A benchmark's child
// proxy (a test binary run without -test.bench) turns it off before it
// serves, through the test-only StopPoisoning.
var poisonReleased = sync.OnceValue(func() bool {
	if !testing.Testing() {
		return false
	}
	bench := flag.Lookup("test.bench")
	return bench == nil || bench.Value.String() == ""
})
