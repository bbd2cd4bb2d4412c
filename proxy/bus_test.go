package proxy

import (
	"context"
	"errors"
	"strings"
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

// TestBorrowingAndOwningSubscribers: a borrowing subscriber gets the
// observation as published and holds its lease until its next Next; a
// subscriber that keeps observations gets a copy that outlives the lease.
func TestBorrowingAndOwningSubscribers(t *testing.T) {
	b := NewBus()
	keeper := b.Subscribe(0)
	borrower := b.Subscribe(0, Borrow)
	budget := leaseBudget{max: maxLeases}
	o, l := leasedObservation(t, &budget)
	want := strings.Clone(o.Raw)
	b.PublishAll([]*Observation{o})
	l.release() // the builder's reference: published
	got, err := borrower.Next(context.Background())
	if err != nil || len(got) != 1 || got[0] != o {
		t.Fatalf("borrower got %v, %v; want the published observation", got, err)
	}
	if got[0].Raw != want || budget.out.Load() != 1 {
		t.Fatalf("the borrowed bytes changed (%q) or the lease went back (%d out) before the borrower's next Next", got[0].Raw, budget.out.Load())
	}
	kept, err := keeper.Next(context.Background())
	if err != nil || len(kept) != 1 || kept[0] == o || kept[0].lease != nil {
		t.Fatalf("keeper got %v, %v; want an owned copy", kept, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := borrower.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	if budget.out.Load() != 0 {
		t.Fatal("the borrower's next Next did not let go of the lease")
	}
	c := kept[0]
	if c.Raw != want || c.Body != want[len("id: 7\ndata: "):len(want)-2] || c.EventID != "7" || c.Method != "notifications/progress" {
		t.Fatalf("the keeper's copy changed with the lease: %+v", c)
	}
	if !within(c.Raw, c.Body) || !within(c.Raw, c.Method) {
		t.Fatal("the copy's fields do not share its Raw")
	}
}

// TestReleaseLetsGoOfQueued: a borrowing subscriber that stops reading
// gives its queued observations' leases back with Release.
func TestReleaseLetsGoOfQueued(t *testing.T) {
	b := NewBus()
	sub := b.Subscribe(0, Borrow)
	budget := leaseBudget{max: maxLeases}
	for range 3 {
		o, l := leasedObservation(t, &budget)
		b.Publish(o)
		l.release()
	}
	if budget.out.Load() != 3 {
		t.Fatalf("%d leases out, want the 3 queued", budget.out.Load())
	}
	sub.Close()
	sub.Release()
	if budget.out.Load() != 0 {
		t.Fatalf("%d leases still out after Release", budget.out.Load())
	}
}

// TestPooledObservationsWaitForTheirLastHolder: a pooled observation is
// recycled only once the publisher and every borrowing subscriber that
// queued it have let go; a subscriber that keeps observations gets a copy
// that is never recycled, and one that dropped it never held it.
func TestPooledObservationsWaitForTheirLastHolder(t *testing.T) {
	b := NewBus()
	keeper := b.Subscribe(0)
	first := b.Subscribe(0, Borrow)
	second := b.Subscribe(0, Borrow)
	full := b.Subscribe(1, Borrow)
	b.Publish(&Observation{Type: TypeSSEEvent}) // fills full's queue: it drops what follows
	o := newPooledObservation()
	o.Type, o.Raw = TypeSSEEvent, "data: x\n\n"
	b.PublishAll([]*Observation{o})
	o.letGo() // the publisher's reference
	next := func(s *Subscription) []*Observation {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		got, err := s.Next(ctx)
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
		return got
	}
	if got := next(first); len(got) != 2 || got[1] != o {
		t.Fatalf("first borrower got %v, want the published observation", got)
	}
	if got := next(second); len(got) != 2 || got[1] != o {
		t.Fatalf("second borrower got %v, want the published observation", got)
	}
	next(first) // first lets go; second still reads it
	if o.Type != TypeSSEEvent || o.Raw != "data: x\n\n" {
		t.Fatalf("recycled while the second borrower still held it: %+v", o)
	}
	kept := next(keeper)
	next(second) // the last holder lets go
	if o.Type != "recycled" {
		t.Fatalf("not recycled after every holder let go: %+v", o)
	}
	if len(kept) != 2 || kept[1] == o || kept[1].pool != nil || kept[1].Raw != "data: x\n\n" {
		t.Fatalf("the keeper's copy: %+v, want its own, unchanged", kept)
	}
	if got := next(full); len(got) != 2 || got[0].Type != TypeDropped {
		t.Fatalf("the full subscriber got %v, want its first observation and a drop", got)
	}
}
