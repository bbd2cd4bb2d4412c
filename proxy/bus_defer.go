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
// them about a BatchInterval later, on its own goroutine, which the data
// path never wakes (it polls while there is work, and exits when idle).
//
// Order is kept: deferred work runs in the order it was handed over, and a
// direct Publish first runs all deferred work handed over before it, on the
// publishing goroutine. So every subscriber still sees each stream's
// observations in wire order, and a client request after an event after
// that event.

// EmitFunc publishes observations from deferred work (never call Publish
// there: it would wait for the work that is running).
type EmitFunc func([]*Observation)

// deferred is the bus's queue of deferred work.
type deferred struct {
	queueMu sync.Mutex // guards queue; held only to append or take
	queue   []func(EmitFunc)
	pending atomic.Int64

	runMu   sync.Mutex // held while deferred work runs, so it runs in order
	working atomic.Bool
}

// idleWorkerPolls is how many empty polls the worker makes before it
// exits; the next Defer starts a new one.
const idleWorkerPolls = 50

// maxDeferred bounds the deferred work waiting for the worker: past it,
// the handing goroutine runs the queue itself (a stream then builds its
// observations inline, as it would without deferral), so a worker that
// falls behind holds at most this many reads' worth of events.
const maxDeferred = 1024

// Defer queues work that builds observations and publishes them with emit.
// It never blocks on subscribers; it runs the queue itself when the worker
// is maxDeferred pieces behind.
func (b *Bus) Defer(work func(EmitFunc)) {
	d := &b.deferred
	d.queueMu.Lock()
	d.queue = append(d.queue, work)
	d.queueMu.Unlock()
	if d.pending.Add(1) > maxDeferred {
		b.runDeferred()
		return
	}
	if d.working.CompareAndSwap(false, true) {
		go b.work()
	}
}

// work polls for deferred work every BatchInterval and runs it, until it
// has found none idleWorkerPolls times in a row or the bus closed.
func (b *Bus) work() {
	d := &b.deferred
	for idle := 0; ; {
		time.Sleep(BatchInterval)
		if d.pending.Load() > 0 {
			idle = 0
			b.runDeferred()
			continue
		}
		if idle++; idle < idleWorkerPolls && !b.closed.Load() {
			continue
		}
		d.working.Store(false)
		// Work queued between the last poll and now needs a worker.
		if d.pending.Load() == 0 || !d.working.CompareAndSwap(false, true) {
			return
		}
		idle = 0
	}
}

// runDeferred runs everything queued so far, in order.
func (b *Bus) runDeferred() {
	d := &b.deferred
	d.runMu.Lock()
	defer d.runMu.Unlock()
	for {
		d.queueMu.Lock()
		work := d.queue
		d.queue = nil
		d.queueMu.Unlock()
		if len(work) == 0 {
			return
		}
		for _, w := range work {
			w(b.publishNow)
		}
		d.pending.Add(-int64(len(work)))
	}
}

// BatchInterval is how long deferred observations wait at most before the
// worker publishes them.
const BatchInterval = time.Millisecond
