package proxy

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

func TestBusDropsEventsButKeepsTransitions(t *testing.T) {
	b := NewBus()
	sub := b.Subscribe(4)
	defer sub.Close()
	if !b.Active() {
		t.Fatal("bus with a subscriber not active")
	}
	for range 10 {
		b.Publish(&Observation{Type: TypeSSEEvent})
	}
	b.Publish(&Observation{Type: TypeStreamClosed})
	batch, err := sub.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != 6 || batch[0].Type != TypeDropped || batch[0].Dropped != 6 || batch[5].Type != TypeStreamClosed {
		t.Fatalf("batch = %d observations (first %+v); want dropped(6), 4 events, stream_closed", len(batch), batch[0])
	}
	for i := 1; i < 5; i++ {
		if batch[i].Seq != uint64(i) {
			t.Errorf("event %d has seq %d: order or numbering lost", i, batch[i].Seq)
		}
	}
}

func TestBusMustDeliverHasAHardLimit(t *testing.T) {
	b := NewBus()
	sub := b.Subscribe(2)
	defer sub.Close()
	for range 2*MustDeliverFactor + 3 {
		b.Publish(&Observation{Type: TypeStreamOpened})
	}
	batch, _ := sub.Next(context.Background())
	if batch[0].Type != TypeDropped || batch[0].Dropped != 3 || len(batch) != 1+2*MustDeliverFactor {
		t.Fatalf("got %d observations, first %+v; want the hard limit kept and 3 dropped", len(batch), batch[0])
	}
}

func TestBusNextWaitsAndCloses(t *testing.T) {
	b := NewBus()
	sub := b.Subscribe(0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := sub.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next on an empty queue = %v, want the context's error", err)
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		b.Publish(&Observation{Type: TypeHTTP})
		b.Close()
	}()
	batch, err := sub.Next(context.Background())
	if err != nil || len(batch) != 1 {
		t.Fatalf("Next = %d, %v; want the published observation", len(batch), err)
	}
	if _, err := sub.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close = %v, want ErrClosed", err)
	}
	b.Publish(&Observation{Type: TypeHTTP}) // no subscriber left to block or panic
	sub.Close()
	if b.Active() {
		t.Error("bus still active after its only subscriber closed")
	}
}

func TestBusLosslessKeepsAllThenCutsOff(t *testing.T) {
	b := NewBus()
	sub := b.SubscribeLossless(12_000)
	defer sub.Close()
	for range 20 { // 20 × ~550 bytes: within the bound
		b.Publish(&Observation{Type: TypeSSEEvent, Raw: string(make([]byte, 100))})
	}
	batch, err := sub.Next(context.Background())
	if err != nil || len(batch) != 20 {
		t.Fatalf("lossless batch = %d, %v; want all 20", len(batch), err)
	}
	for range 100 { // past the bound while nobody reads
		b.Publish(&Observation{Type: TypeSSEEvent, Raw: string(make([]byte, 100))})
	}
	batch, err = sub.Next(context.Background())
	if err != nil || len(batch) == 0 || len(batch) >= 100 || batch[0].Type == TypeDropped {
		t.Fatalf("after overflow: %d observations, %v; want what fitted, and no silent drop notice", len(batch), err)
	}
	if _, err := sub.Next(context.Background()); !errors.Is(err, ErrOverflow) {
		t.Fatalf("Next after overflow = %v, want ErrOverflow", err)
	}
}

// TestBusPublishAllKeepsTheRulesOfPublish: a batch is numbered in order,
// drops what a full queue cannot take, keeps transitions, and reaches a
// lossless subscriber whole.
func TestBusPublishAllKeepsTheRulesOfPublish(t *testing.T) {
	b := NewBus()
	lossy := b.Subscribe(4)
	defer lossy.Close()
	lossless := b.SubscribeLossless(1 << 20)
	defer lossless.Close()
	var batch []*Observation
	for range 10 {
		batch = append(batch, &Observation{Type: TypeSSEEvent})
	}
	batch = append(batch, &Observation{Type: TypeStreamClosed})
	b.PublishAll(batch)
	got, err := lossy.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || got[0].Dropped != 6 || got[5].Type != TypeStreamClosed {
		t.Fatalf("lossy got %d observations (first %+v); want dropped(6), 4 events, stream_closed", len(got), got[0])
	}
	all, err := lossless.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 11 {
		t.Fatalf("lossless got %d observations, want all 11", len(all))
	}
	for i, o := range all {
		if o.Seq != uint64(i+1) || o.Time.IsZero() {
			t.Fatalf("observation %d: seq %d, time %v: numbering or stamping lost", i, o.Seq, o.Time)
		}
	}
}

// TestBusDeferredWorkIsBounded: deferred work runs in order, later, on the
// bus's worker; past maxDeferred pieces waiting, the one handing it over
// runs the queue itself, so it never holds more.
func TestBusDeferredWorkIsBounded(t *testing.T) {
	b := NewBus()
	sub := b.SubscribeLossless(1 << 30)
	defer sub.Close()
	most := int64(0)
	for i := range 3 * maxDeferred {
		b.Defer(func(emit EmitFunc) { emit([]*Observation{{Type: TypeSSEEvent, Size: i}}) })
		most = max(most, b.deferred.pending.Load())
	}
	if most > maxDeferred {
		t.Errorf("%d pieces of deferred work waited at once, want at most %d", most, maxDeferred)
	}
	b.Publish(&Observation{Type: TypeNotice}) // runs what is still deferred first
	var got []*Observation
	for len(got) < 3*maxDeferred+1 {
		batch, err := sub.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, batch...)
	}
	for i, o := range got[:3*maxDeferred] {
		if o.Size != i {
			t.Fatalf("observation %d carries %d: deferred work ran out of order", i, o.Size)
		}
	}
	if got[3*maxDeferred].Type != TypeNotice {
		t.Errorf("the direct publish came before deferred work handed over earlier")
	}
	b.Close()
}

// leasedObservation returns an event observation whose strings borrow a
// fresh lease (holding the builder's reference), as a stream's would.
func leasedObservation(t *testing.T, budget *leaseBudget) (*Observation, *lease) {
	t.Helper()
	l := budget.take()
	raw := "id: 7\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\n"
	n := copy(l.buf, raw)
	text := unsafe.String(&l.buf[0], n)
	body := text[len("id: 7\ndata: ") : len(text)-2]
	return &Observation{Type: TypeSSEEvent, Raw: text, Body: body, EventID: text[4:5], Method: body[27:49], lease: l}, l
}

// TestBorrowingAndOwningSubscribers: a subscriber that reads with
// NextBorrowed is lent the observation as published, whose lease stays out
// while its callback runs and goes back when it returns; one that reads
// with Next gets a copy that outlives the lease.
func TestBorrowingAndOwningSubscribers(t *testing.T) {
	b := NewBus()
	keeper := b.Subscribe(0)
	borrower := borrowing(b, 0)
	budget := leaseBudget{max: maxLeases}
	o, l := leasedObservation(t, &budget)
	want := strings.Clone(o.Raw)
	b.PublishAll([]*Observation{o})
	l.release() // the builder's reference: published
	err := borrower.NextBorrowed(context.Background(), func(got []*Observation) error {
		if len(got) != 1 || got[0] != o {
			t.Fatalf("borrower got %v; want the published observation", got)
		}
		if got[0].Raw != want || budget.out.Load() != 1 {
			t.Fatalf("the borrowed bytes changed (%q) or the lease went back (%d out) inside the callback", got[0].Raw, budget.out.Load())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if budget.out.Load() != 0 {
		t.Fatal("the lease is still out once the callback returned")
	}
	kept, err := keeper.Next(context.Background())
	if err != nil || len(kept) != 1 || kept[0] == o || kept[0].lease != nil {
		t.Fatalf("keeper got %v, %v; want an owned copy", kept, err)
	}
	c := kept[0]
	if c.Raw != want || c.Body != want[len("id: 7\ndata: "):len(want)-2] || c.EventID != "7" || c.Method != "notifications/progress" {
		t.Fatalf("the keeper's copy changed with the lease: %+v", c)
	}
	if !within(c.Raw, c.Body) || !within(c.Raw, c.Method) {
		t.Fatal("the copy's fields do not share its Raw")
	}
}

// TestCallbackErrorAndPanicLetGo: what the callback returns, NextBorrowed
// returns, and the batch goes back even when the callback fails or
// panics.
func TestCallbackErrorAndPanicLetGo(t *testing.T) {
	b := NewBus()
	sub := borrowing(b, 0)
	defer sub.Close()
	budget := leaseBudget{max: maxLeases}
	publish := func() {
		o, l := leasedObservation(t, &budget)
		b.Publish(o)
		l.release()
	}
	publish()
	failed := errors.New("the output failed")
	if err := sub.NextBorrowed(context.Background(), func([]*Observation) error { return failed }); err != failed {
		t.Fatalf("NextBorrowed returned %v, want the callback's error", err)
	}
	if out := budget.out.Load(); out != 0 {
		t.Fatalf("%d leases out after a failing callback", out)
	}
	publish()
	func() {
		defer func() { recover() }()
		sub.NextBorrowed(context.Background(), func([]*Observation) error { panic("observer bug") })
	}()
	if out := budget.out.Load(); out != 0 {
		t.Fatalf("%d leases out after a panicking callback", out)
	}
}

// TestCloseLetsGoOfQueued: a borrowing subscriber that stops reading is
// closed; its queued observations then pin nothing, and can still be read,
// as copies with the same text.
func TestCloseLetsGoOfQueued(t *testing.T) {
	b := NewBus()
	sub := borrowing(b, 0)
	budget := leaseBudget{max: maxLeases}
	var want []string
	for range 3 {
		o, l := leasedObservation(t, &budget)
		want = append(want, strings.Clone(o.Raw))
		b.Publish(o)
		l.release()
	}
	if budget.out.Load() != 3 {
		t.Fatalf("%d leases out, want the 3 queued", budget.out.Load())
	}
	sub.Close()
	if out := budget.out.Load(); out != 0 {
		t.Fatalf("%d leases still out after Close", out)
	}
	err := sub.NextBorrowed(context.Background(), func(got []*Observation) error {
		if len(got) != len(want) {
			t.Fatalf("got %d observations after Close, want the %d queued", len(got), len(want))
		}
		for i, o := range got {
			if o.Raw != want[i] || o.lease != nil {
				t.Errorf("queued observation %d after Close: %q (leased: %v), want a copy of %q", i, o.Raw, o.lease != nil, want[i])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.NextBorrowed(context.Background(), func([]*Observation) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("drained: %v, want ErrClosed", err)
	}
}

// TestLentBytesHoldUnderConcurrentReuse: while a callback holds a lent
// batch, a publisher keeps taking leases from a small budget and letting
// go of its own references, so every lease the callback does not pin is
// released (and poisoned, in tests) and taken again; the lent
// observations still read as published, and once the callbacks returned
// and the subscription closed, no lease is out.
func TestLentBytesHoldUnderConcurrentReuse(t *testing.T) {
	b := NewBus()
	sub := borrowing(b, 0)
	budget := leaseBudget{max: maxPinnedPerSubscriber/leaseSize + 8} // past what the queue pins: leases the publisher reuses while a callback runs
	stop := make(chan struct{})
	published := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			l := budget.take()
			if l == nil {
				runtime.Gosched()
				continue
			}
			raw := fmt.Sprintf("id: %d\ndata: {\"n\":%d}\n\n", i, i)
			n := copy(l.buf, raw)
			b.Publish(&Observation{Type: TypeSSEEvent, Raw: unsafe.String(&l.buf[0], n), lease: l})
			l.release()
			if i == 100 {
				close(published)
			}
		}
	})
	<-published
	checked := 0
	var err error
	for checked < 2000 && err == nil {
		err = sub.NextBorrowed(context.Background(), func(batch []*Observation) error {
			time.Sleep(time.Millisecond) // the publisher reuses every lease not pinned meanwhile
			for _, o := range batch {
				if o.Type != TypeSSEEvent {
					continue
				}
				var id, n int
				if _, err := fmt.Sscanf(o.Raw, "id: %d\ndata: {\"n\":%d}", &id, &n); err != nil || id != n {
					return fmt.Errorf("a lent observation reads %q inside its callback", o.Raw)
				}
				checked++
			}
			return nil
		})
	}
	close(stop)
	wg.Wait()
	sub.Close()
	if err != nil {
		t.Fatal(err)
	}
	if out := budget.out.Load(); out != 0 {
		t.Fatalf("%d leases out after the last callback returned and the subscription closed", out)
	}
}

// TestPooledObservationsWaitForTheirLastHolder: a pooled observation is
// recycled only once the publisher and every borrowing subscriber that
// queued it have let go; a subscriber that keeps observations gets a copy
// that is never recycled, and one that dropped it never held it.
func TestPooledObservationsWaitForTheirLastHolder(t *testing.T) {
	b := NewBus()
	keeper := b.Subscribe(0)
	first := borrowing(b, 0)
	second := borrowing(b, 0)
	full := borrowing(b, 1)
	b.Publish(&Observation{Type: TypeSSEEvent}) // fills full's queue: it drops what follows
	o := newPooledObservation()
	o.Type, o.Raw = TypeSSEEvent, "data: x\n\n"
	b.PublishAll([]*Observation{o})
	o.release() // the publisher's reference
	lend(t, first, func(got []*Observation) {
		if len(got) != 2 || got[1] != o {
			t.Fatalf("first borrower got %v, want the published observation", got)
		}
		lend(t, second, func(got []*Observation) {
			if len(got) != 2 || got[1] != o {
				t.Fatalf("second borrower got %v, want the published observation", got)
			}
		}) // second lets go; first still reads it
		if o.Type != TypeSSEEvent || o.Raw != "data: x\n\n" {
			t.Fatalf("recycled while the first borrower still held it: %+v", o)
		}
	})
	if o.Type != "recycled" { // the keeper has a copy of its own
		t.Fatalf("not recycled after every holder let go: %+v", o)
	}
	kept := nextOrNothing(t, keeper)
	if len(kept) != 2 || kept[1] == o || kept[1].pool != nil || kept[1].Raw != "data: x\n\n" {
		t.Fatalf("the keeper's copy: %+v, want its own, unchanged", kept)
	}
	lend(t, full, func(got []*Observation) {
		if len(got) != 2 || got[0].Type != TypeDropped {
			t.Fatalf("the full subscriber got %v, want its first observation and a drop", got)
		}
	})
}

// borrowing subscribes a reader that borrows: it has read once with
// NextBorrowed (finding nothing), so its queue holds what is published as
// it is.
func borrowing(b *Bus, buffer int) *Subscription {
	s := b.Subscribe(buffer)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.NextBorrowed(ctx, func([]*Observation) error { return nil })
	return s
}

// lend reads one batch of s with NextBorrowed and gives it to check, failing
// if none comes within 10 ms.
func lend(t *testing.T, s *Subscription, check func([]*Observation)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := s.NextBorrowed(ctx, func(batch []*Observation) error { check(batch); return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestNextCopiesWhatWasQueuedBorrowed: a reader may switch forms; Next
// after NextBorrowed gives copies of what was queued as published, and
// lets go of the originals.
func TestNextCopiesWhatWasQueuedBorrowed(t *testing.T) {
	b := NewBus()
	sub := borrowing(b, 0)
	defer sub.Close()
	budget := leaseBudget{max: maxLeases}
	o, l := leasedObservation(t, &budget)
	want := strings.Clone(o.Raw)
	b.Publish(o)
	l.release()
	if budget.out.Load() != 1 {
		t.Fatal("the borrowing queue does not hold the lease")
	}
	got := nextOrNothing(t, sub)
	if len(got) != 1 || got[0] == o || got[0].lease != nil || got[0].Raw != want {
		t.Fatalf("Next gave %+v, want a copy reading %q", got, want)
	}
	if budget.out.Load() != 0 {
		t.Fatal("the lease is still out after Next copied it")
	}
	o, l = leasedObservation(t, &budget)
	b.Publish(o)
	l.release()
	if budget.out.Load() != 0 {
		t.Fatal("after a Next, the queue pins what is published")
	}
	nextOrNothing(t, sub)
}
