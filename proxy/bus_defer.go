package proxy

import (
	"sync"
	"sync/atomic"
	"time"
)

// Deferred observations. A stream's data path should do as little as it
// can around its writes: on loopback the kernel often runs the woken client
// on the writer's CPU, so any work the writer does before it blocks again
// delays the client by as much. So a stream hands the bus what it needs to
// build its observations (Defer), and the bus's worker builds and publishes
// them up to a BatchInterval later (1 ms while busy), on its own goroutine,
// which the data path never wakes (it polls while there is work, and exits
// when idle).
//
// Order is kept: deferred work runs in the order it was handed over, and a
// direct Publish first runs all deferred work handed over before it, on the
// publishing goroutine. So every subscriber still sees each stream's
// observations in wire order, and a client request after an event after
// that event.

// EmitFunc publishes observations from deferred work (never call Publish
// there: it would wait for the work that is running). It keeps the
// observations, not the slice: the caller may reuse it.
type EmitFunc func([]*Observation)

// deferredWork is one piece of deferred work: it builds observations and
// publishes them with emit.
type deferredWork interface{ runDeferred(emit EmitFunc) }

// workFunc is a func as deferredWork.
type workFunc func(EmitFunc)

func (f workFunc) runDeferred(emit EmitFunc) { f(emit) }

// deferred is the bus's queue of deferred work.
type deferred struct {
	queueMu     sync.Mutex // guards queue, queuedBytes and spare; held only to append or swap
	queue       []deferredWork
	queuedBytes int            // what the queued pieces hold, as their handers estimated it
	spare       []deferredWork // the last queue run, emptied, to take the next pieces
	pending     atomic.Int64
	// leasedBytes is what the work queued since the last poll holds of
	// read buffers (see lease): bulk traffic, which needs them back soon.
	leasedBytes atomic.Int64

	runMu   sync.Mutex // held while deferred work runs, so it runs in order
	working atomic.Bool
}

// maxDeferred and maxDeferredBytes bound the deferred work waiting for the
// worker, in pieces and in the bytes they hold (captured blocks, copied or
// leased): past either, the handing goroutine runs the queue itself (a
// stream then builds its observations inline, as it would without
// deferral), so a worker that falls behind holds at most this much.
const (
	maxDeferred      = 1024
	maxDeferredBytes = 4 << 20
)

// Defer queues work that builds observations and publishes them with emit.
// It never blocks on subscribers; it runs the queue itself when the worker
// is maxDeferred pieces behind.
func (b *Bus) Defer(work func(EmitFunc)) { b.deferWork(workFunc(work), 0, 0) }

// deferWork is Defer for a piece of work that is not a func (a stream's
// outbox: no closure to allocate per read), which holds size bytes until
// it runs, leased of them borrowed from read buffers.
func (b *Bus) deferWork(work deferredWork, leased, size int) {
	d := &b.deferred
	if leased > 0 {
		d.leasedBytes.Add(int64(leased))
	}
	d.queueMu.Lock()
	d.queue = append(d.queue, work)
	d.queuedBytes += size
	full := d.queuedBytes > maxDeferredBytes
	d.queueMu.Unlock()
	if d.pending.Add(1) > maxDeferred || full {
		b.runDeferred()
		return
	}
	if d.working.CompareAndSwap(false, true) {
		go b.work()
	}
}

// work polls for deferred work and runs it, until it has found none for
// workerIdleExit or the bus closed. It polls every busyBatchInterval while
// work comes in fast and every BatchInterval otherwise: a poll costs a
// wake-up of the worker and of the subscribers it publishes to, which sparse
// events pay for one by one (at 16 000 events/s over 16 streams, 1 ms polls
// cost the proxy 40 % more CPU per event than ReverseProxy's, 10 ms polls
// 11 %, measured with BenchmarkCPUProcess), while bulk streams need back
// soon the leases their observations hold.
func (b *Bus) work() {
	d := &b.deferred
	interval := busyBatchInterval
	for idleFor := time.Duration(0); ; {
		time.Sleep(interval)
		if n := d.pending.Load(); n > 0 {
			idleFor = 0
			leased := d.leasedBytes.Swap(0)
			b.runDeferred()
			busy := n*int64(time.Millisecond) >= busyPiecesPerMs*int64(interval) ||
				leased*int64(time.Millisecond) >= busyLeasedPerMs*int64(interval)
			interval = BatchInterval
			if busy {
				interval = busyBatchInterval
			}
			continue
		}
		if idleFor += interval; idleFor < workerIdleExit && !b.closed.Load() {
			continue
		}
		d.working.Store(false)
		// Work queued between the last poll and now needs a worker.
		if d.pending.Load() == 0 || !d.working.CompareAndSwap(false, true) {
			return
		}
		idleFor = 0
	}
}

// Flush publishes everything deferred so far, in order, and returns once it
// has been offered to the subscribers.
func (b *Bus) Flush() { b.runDeferred() }

// runDeferred runs everything queued so far, in order.
func (b *Bus) runDeferred() {
	d := &b.deferred
	d.runMu.Lock()
	defer d.runMu.Unlock()
	for {
		d.queueMu.Lock()
		work := d.queue
		d.queue, d.spare, d.queuedBytes = d.spare, nil, 0
		d.queueMu.Unlock()
		if len(work) == 0 {
			return
		}
		for _, w := range work {
			w.runDeferred(b.publishNow)
		}
		d.pending.Add(-int64(len(work)))
		clear(work)
		d.queueMu.Lock()
		d.spare = work[:0]
		d.queueMu.Unlock()
	}
}

const (
	// BatchInterval is how long deferred observations wait at most before
	// the worker publishes them.
	BatchInterval = 10 * time.Millisecond
	// busyBatchInterval is the worker's poll while at least
	// busyPiecesPerMs pieces of work, or busyLeasedPerMs bytes of leased
	// read buffers, come in per millisecond.
	busyBatchInterval = time.Millisecond
	busyPiecesPerMs   = 32
	busyLeasedPerMs   = 2 * leaseSize
	// workerIdleExit is how long the worker polls in vain before it exits;
	// the next Defer starts a new one.
	workerIdleExit = 50 * time.Millisecond
)
