package proxy

import (
	"context"
	"errors"
	"testing"
	"time"
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
	sub := b.SubscribeLossless(10_000)
	defer sub.Close()
	for range 20 { // 20 × ~420 bytes: within the bound
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
