package proxy

import (
	"flag"
	"sync"
	"sync/atomic"
	"testing"
)

// A lease is a pooled read buffer whose bytes the observations of the
// events read into it share (borrow) instead of copying them. It counts its
// holders: the stream while the buffer is its current chunk, each captured
// block until its observation is published, and each borrowing subscriber
// that queued one of those observations, until its next Next. The last to
// let go returns the buffer to the pool.
//
// Letting go too early would let an observer read bytes of a later read,
// so every reader of a borrowed string holds a reference, and observations
// reach observers that keep them (Subscribe without Borrow) as owned copies
// (Observation.owned). Never letting go is safe but not free: the garbage
// collector takes the buffer, but its place in the shared budget stays
// taken, so every holder releases (a borrowing subscriber that stops
// reading calls Release).
type lease struct {
	refs   atomic.Int32
	buf    []byte
	budget *leaseBudget // whose count this lease is in
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

var leasePool = sync.Pool{New: func() any { return &lease{buf: make([]byte, leaseSize)} }}

// take leases a buffer from the pool, with the taker's reference; nil
// when the budget is spent.
func (b *leaseBudget) take() *lease {
	if b.out.Load() >= b.max {
		return nil
	}
	b.out.Add(1)
	l := leasePool.Get().(*lease)
	l.budget = b
	l.refs.Store(1)
	return l
}

// retain adds a holder; the caller must already hold a reference.
func (l *lease) retain() { l.refs.Add(1) }

// release lets go of one reference; the last returns the buffer to the
// pool (overwritten first in tests, see poisonReleased).
func (l *lease) release() {
	switch n := l.refs.Add(-1); {
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
	l.budget.out.Add(-1)
	l.budget = nil
	leasePool.Put(l)
}

// poisonReleased tells whether released buffers are overwritten: in tests,
// not in benchmarks or the program. An observer that read borrowed bytes
// after letting them go then sees garbage, and its test fails, instead of
// bytes that are only right until the buffer is reused.
var poisonReleased = sync.OnceValue(func() bool {
	if !testing.Testing() {
		return false
	}
	bench := flag.Lookup("test.bench")
	return bench == nil || bench.Value.String() == ""
})
