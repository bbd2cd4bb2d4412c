package proxy

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Bus carries observations from the data path to observers (the UI, the
// headless printer, the recorder, the control API).
//
// Delivery semantics:
//
//   - Publish never blocks and never waits on a subscriber: the data path
//     must not slow down because an observer is slow.
//   - Every subscriber has its own queue, bounded in observations and in
//     bytes (by Observation.Footprint; DefaultSubscriberBytes unless
//     MaxBytes says otherwise): an event can be 1 MiB, so a count alone
//     would let a subscriber that stopped reading hold gigabytes. When
//     either bound is reached, SSE events and messages for that subscriber
//     are dropped and counted; the next batch the subscriber reads starts
//     with a TypeDropped observation saying how many it missed. An
//     observation larger than the whole byte bound is still queued when the
//     queue is empty.
//   - Transitions (stream opened/closed, gate changes, sessions), findings and rule
//     decisions (any observation with a Decision) are must-deliver: they
//     may exceed both bounds up to a hard limit of MustDeliverFactor times
//     them, so a burst of events cannot push them out. Past the hard limit
//     they are dropped and counted too, which only a subscriber that
//     stopped reading can cause.
//   - A subscriber reads in one of two forms, its choice at every read.
//     Next returns observations that are the subscriber's to keep (the
//     TUI): copies where the proxy's would borrow. NextBorrowed lends a
//     batch to a callback (the recorder, the headless printer, the control
//     API): the observations as published, whose strings may share the
//     proxy's read buffers (leases of 128 KiB), valid only until the
//     callback returns; the subscription lets go of them then, so a
//     consumer never releases anything itself. Once a subscriber reads
//     with NextBorrowed, its queue holds what is published as it is,
//     pinning the leases it shares (each counted once as a whole lease,
//     however streams interleave, and past maxPinnedPerSubscriber, or
//     MaxPinned, queued as copies that pin nothing): one that stops reading pins at most
//     that much, twice counting the batch its callback holds. Before its
//     first read and after a Next, it queues copies. Close turns what is
//     queued into copies: nothing stays pinned by a closed subscription.
//   - A lossless subscriber (SubscribeLossless, for the recorder) never
//     misses an observation. Its queue is bounded in bytes instead; if the
//     subscriber falls so far behind that the bound is reached, it is cut
//     off: it gets what is queued, then ErrOverflow. The proxy never waits.
//   - Observations a stream defers (Defer) are built and published by the
//     bus's worker up to about BatchInterval later, in order; a direct
//     Publish runs what was deferred before it first.
//   - A subscriber sees observations in the order they were published to it;
//     observations of one stream are published by one goroutine, in order.
//   - What NextBorrowed lends (the batch, its observations and their
//     strings) must not be kept past the callback: SSE events share the
//     bytes the proxy read instead of being copied (see lease), and their
//     observations go back to a pool (see observation_pool.go). A callback
//     copies what it keeps.
//
// The zero Bus is not usable; call NewBus.
type Bus struct {
	seq    atomic.Uint64
	mu     sync.Mutex // guards changes to subs
	subs   atomic.Pointer[[]*Subscription]
	closed atomic.Bool

	deferred deferred // see bus_defer.go
}

// MustDeliverFactor bounds a subscriber's queue for must-deliver
// observations, as a multiple of its Buffer.
const MustDeliverFactor = 4

// DefaultSubscriberBuffer is the queue bound used when Subscribe is given 0.
const DefaultSubscriberBuffer = 8192

// DefaultSubscriberBytes bounds the bytes a lossy subscriber's queue holds
// (by Observation.Footprint) unless MaxBytes sets another bound.
const DefaultSubscriberBytes = 4 << 20

// maxPinnedPerSubscriber bounds the lease bytes a borrowing subscriber's
// queue pins; past it, observations are queued as copies (see
// NextBorrowed).
const maxPinnedPerSubscriber = 4 << 20

// NewBus returns an empty bus.
func NewBus() *Bus {
	b := &Bus{}
	b.subs.Store(&[]*Subscription{})
	return b
}

// Active reports whether anyone subscribes; the data path may skip building
// observations nobody would read.
func (b *Bus) Active() bool { return len(*b.subs.Load()) > 0 }

// Publish stamps o with the next sequence number (and the current time, if
// o.Time is zero) and hands it to every subscriber. o must not be modified
// afterwards.
func (b *Bus) Publish(o *Observation) {
	if b.deferred.pending.Load() > 0 {
		b.runDeferred() // what was handed over before goes first
	}
	b.publishOne(o)
}

func (b *Bus) publishOne(o *Observation) {
	o.Seq = b.seq.Add(1)
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	for _, s := range *b.subs.Load() {
		s.offer(o)
	}
}

// PublishAll publishes os in order, as Publish does one by one, but takes
// each subscriber's lock once and wakes it at most once: the data path
// hands over everything one read brought in a single step.
func (b *Bus) PublishAll(os []*Observation) {
	if b.deferred.pending.Load() > 0 {
		b.runDeferred()
	}
	b.publishNow(os)
}

// publishNow publishes os without running deferred work first (it is what
// deferred work emits with).
func (b *Bus) publishNow(os []*Observation) {
	if len(os) == 0 {
		return
	}
	now := time.Time{}
	for _, o := range os {
		o.Seq = b.seq.Add(1)
		if o.Time.IsZero() {
			if now.IsZero() {
				now = time.Now()
			}
			o.Time = now
		}
	}
	for _, s := range *b.subs.Load() {
		s.offerAll(os)
	}
}

// Subscribe adds a subscriber whose queue holds up to buffer observations
// (DefaultSubscriberBuffer if 0) and up to DefaultSubscriberBytes of them
// (see MaxBytes). The caller must Close it when done.
func (b *Bus) Subscribe(buffer int, opts ...SubscribeOption) *Subscription {
	if buffer <= 0 {
		buffer = DefaultSubscriberBuffer
	}
	return b.add(&Subscription{bus: b, buffer: buffer, maxBytes: DefaultSubscriberBytes, maxPinned: maxPinnedPerSubscriber, wake: make(chan struct{}, 1)}, opts)
}

// MaxBytes bounds the bytes a lossy subscriber's queue holds (by
// Observation.Footprint) at n instead of DefaultSubscriberBytes; 0 or less
// keeps the default. (A lossless subscriber is given its bound by
// SubscribeLossless.)
func MaxBytes(n int) SubscribeOption {
	return func(s *Subscription) {
		if n > 0 && !s.lossless {
			s.maxBytes = n
		}
	}
}

// MaxPinned bounds the lease bytes a borrowing subscriber's queue pins at
// n instead of 4 MiB; past it, observations are queued as copies (see
// NextBorrowed). 0 or less keeps the default. A subscriber whose queue is
// much larger than 4 MiB and that reads many streams at once (the display:
// each busy stream reads into a 128 KiB lease of its own) would otherwise
// pass the bound while it keeps up, and copy every observation.
func MaxPinned(n int) SubscribeOption {
	return func(s *Subscription) {
		if n > 0 {
			s.maxPinned = n
		}
	}
}

// SubscribeLossless adds a subscriber that misses nothing, whose queue may
// hold up to maxBytes (by Observation.Footprint) before it is cut off with
// ErrOverflow.
func (b *Bus) SubscribeLossless(maxBytes int, opts ...SubscribeOption) *Subscription {
	return b.add(&Subscription{bus: b, lossless: true, maxBytes: maxBytes, maxPinned: maxPinnedPerSubscriber, wake: make(chan struct{}, 1)}, opts)
}

// SubscribeOption changes how a subscription receives observations.
type SubscribeOption func(*Subscription)

func (b *Bus) add(s *Subscription, opts []SubscribeOption) *Subscription {
	for _, opt := range opts {
		opt(s)
	}
	if b.closed.Load() {
		s.closed = true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	subs := append(append([]*Subscription(nil), *b.subs.Load()...), s)
	b.subs.Store(&subs)
	return s
}

// Close ends every subscription: their Next returns what is queued, then
// ErrClosed.
func (b *Bus) Close() {
	b.runDeferred()
	b.closed.Store(true)
	for _, s := range *b.subs.Load() {
		s.close()
	}
}

func (b *Bus) remove(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := *b.subs.Load()
	subs := make([]*Subscription, 0, len(old))
	for _, x := range old {
		if x != s {
			subs = append(subs, x)
		}
	}
	b.subs.Store(&subs)
}

// ErrClosed is returned by Subscription.Next once the subscription or its
// bus is closed and the queue is drained.
var ErrClosed = errors.New("bus: subscription closed")

// ErrOverflow is returned by a lossless subscription's Next, once drained,
// after it fell further behind than its byte bound allows.
var ErrOverflow = errors.New("bus: subscriber fell too far behind and was cut off")

// Subscription is one observer's queue. Next and NextBorrowed are meant
// to be called from one goroutine; Close, Queued and Backlog from any.
type Subscription struct {
	bus    *Bus
	buffer int
	wake   chan struct{} // has a token when the queue became non-empty

	lossless  bool
	maxBytes  int         // bytes the queue may hold (lossless: before it is cut off)
	maxPinned int         // lease bytes a borrowing queue may pin (MaxPinned)
	borrow    atomic.Bool // the reader last read with NextBorrowed: queue observations as published, holding a reference to their lease

	mu         sync.Mutex
	queue      []*Observation
	spare      []*Observation // the slice of the previous batch, reused
	dropped    int64
	closed     bool
	queuedSize int      // bytes queued, by Footprint
	pinned     []*lease // borrowing: the distinct leases the queue holds, at most maxPinned/leaseSize
	overflowed bool     // lossless: cut off

	pace      time.Duration // Paced: the wait after a small batch
	paceSmall int           // Paced: a batch smaller than this is small
	paceUntil time.Time     // after a small batch: when the reader may take again; only the reader touches it
}

func mustDeliver(o *Observation) bool {
	return o.Type == TypeStreamOpened || o.Type == TypeStreamClosed || o.Type == TypeGate || o.Type == TypeDecision || o.Type == TypeRules || o.Type == TypeNotice || o.Type == TypeSession || o.Type == TypeFinding || o.Decision != nil
}

func (s *Subscription) offer(o *Observation) {
	s.mu.Lock()
	n := len(s.queue)
	s.enqueue(o, n)
	s.mu.Unlock()
	if n == 0 {
		s.signal()
	}
}

func (s *Subscription) offerAll(os []*Observation) {
	s.mu.Lock()
	n := len(s.queue)
	for _, o := range os {
		s.enqueue(o, len(s.queue))
	}
	s.mu.Unlock()
	if n == 0 {
		s.signal()
	}
}

// enqueue queues o, or drops it by the subscriber's rules; n is the queue's
// length. s.mu is held.
func (s *Subscription) enqueue(o *Observation, n int) {
	if s.closed || s.overflowed {
		return
	}
	size := o.Footprint()
	fits := n == 0 || s.queuedSize+size <= s.maxBytes
	switch {
	case s.lossless:
		if !fits {
			s.overflowed = true
			return
		}
	case fits && n < s.buffer:
	case mustDeliver(o) && n < s.buffer*MustDeliverFactor && s.queuedSize+size <= s.maxBytes*MustDeliverFactor:
	default:
		s.dropped++
		return
	}
	s.queue = append(s.queue, s.hold(o))
	s.queuedSize += size
}

// hold returns what the queue keeps of o: for a subscriber that keeps
// what it reads (Next), an owned copy, made here, once o fits the queue's
// bounds, so that what the bounds drop (most of a saturated stream, for a
// TUI that reads once a frame) is never copied; for a borrower, o itself,
// with the references it keeps, to its lease and (pooled) to itself, until
// the subscriber is done with it (when NextBorrowed's callback returns, or
// Next has copied it). Each distinct lease counts once, however the
// observations of streams interleave; once the queue pins
// maxPinned bytes of leases, an observation of another lease is
// returned as a copy that holds neither instead.
func (s *Subscription) hold(o *Observation) *Observation {
	if !s.borrow.Load() {
		return o.owned()
	}
	if o.lease != nil && !s.pins(o.lease) {
		if (len(s.pinned)+1)*leaseSize > s.maxPinned {
			return o.owned()
		}
		s.pinned = append(s.pinned, o.lease)
	}
	if o.lease != nil {
		o.lease.retain()
	}
	if o.pool != nil {
		o.pool.refs.Add(1)
	}
	return o
}

// emptied resets the queue's counts once it was handed over. s.mu is held.
func (s *Subscription) emptied() {
	s.queuedSize = 0
	s.emptiedPins()
}

// emptiedPins forgets the leases the queue held, once it holds none.
// s.mu is held.
func (s *Subscription) emptiedPins() {
	clear(s.pinned)
	s.pinned = s.pinned[:0]
}

// pins reports whether the queue already holds l. The newest lease is
// checked first: consecutive observations mostly share one. s.mu is held.
func (s *Subscription) pins(l *lease) bool {
	for i := len(s.pinned) - 1; i >= 0; i-- {
		if s.pinned[i] == l {
			return true
		}
	}
	return false
}

// signal wakes a Next waiting for the queue to become non-empty.
func (s *Subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Next waits for observations and returns all that are queued, oldest
// first, preceded by a TypeDropped observation if some were missed since
// the last read. The batch and its observations are the caller's to keep:
// what the proxy's observations borrow is copied. It returns ctx.Err() if
// ctx ends first, ErrClosed once the subscription is closed and drained,
// and (lossless) ErrOverflow once cut off and drained.
func (s *Subscription) Next(ctx context.Context) ([]*Observation, error) {
	s.borrow.Store(false)
	batch, err := s.take(ctx)
	if err != nil {
		return nil, err
	}
	kept := make([]*Observation, len(batch))
	for i, o := range batch {
		kept[i] = o.owned()
		o.release()
	}
	clear(batch)
	return kept, nil
}

// NextBorrowed waits for observations as Next does and calls lend with
// them; it returns lend's error, or Next's. The batch, its observations
// and their strings are lent: valid only until lend returns, after which
// the subscription lets go of them (even if lend panics); lend copies what
// it keeps. Reading so, the subscriber borrows: its queue holds what is
// published as it is (see Bus), sparing a copy of every event.
func (s *Subscription) NextBorrowed(ctx context.Context, lend func(batch []*Observation) error) error {
	s.borrow.Store(true)
	batch, err := s.take(ctx)
	if err != nil {
		return err
	}
	defer func() {
		for _, o := range batch {
			o.release()
		}
		clear(batch)
	}()
	return lend(batch)
}

// take waits for observations and returns all that are queued (with the
// drop notice first), in s.spare, holding the references the queue held.
func (s *Subscription) take(ctx context.Context) ([]*Observation, error) {
	if err := s.awaitPace(ctx); err != nil {
		return nil, err
	}
	for {
		s.mu.Lock()
		if len(s.queue) > 0 || s.dropped > 0 {
			batch := s.spare[:0]
			if s.dropped > 0 {
				batch = append(batch, &Observation{Type: TypeDropped, Time: time.Now(), Dropped: s.dropped})
				s.dropped = 0
			}
			batch = append(batch, s.queue...)
			clear(s.queue)
			s.spare, s.queue = batch, s.queue[:0]
			if len(batch) < s.paceSmall {
				s.paceUntil = time.Now().Add(s.pace)
			}
			s.emptied()
			s.mu.Unlock()
			return batch, nil
		}
		closed, overflowed := s.closed, s.overflowed
		s.mu.Unlock()
		switch {
		case overflowed:
			return nil, ErrOverflow
		case closed:
			return nil, ErrClosed
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Queued returns how many observations wait in the subscriber's queue.
func (s *Subscription) Queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Backlog returns the bytes queued for the subscriber, by
// Observation.Footprint.
func (s *Subscription) Backlog() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queuedSize
}

// Close unsubscribes. What is queued stays to be read (as copies: a closed
// subscription pins nothing), then Next and NextBorrowed return ErrClosed.
// A batch NextBorrowed lends meanwhile stays valid until its callback
// returns.
func (s *Subscription) Close() {
	s.bus.remove(s)
	s.close()
}

func (s *Subscription) close() {
	s.mu.Lock()
	s.closed = true
	for i, o := range s.queue {
		if o.lease != nil || o.pool != nil {
			s.queue[i] = o.owned()
			o.release()
		}
	}
	s.emptiedPins()
	s.mu.Unlock()
	s.signal()
}
