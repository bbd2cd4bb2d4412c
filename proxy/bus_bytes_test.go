package proxy

import (
	"context"
	"strings"
	"testing"
	"time"
)

// next returns what sub has queued, or nothing after a short wait.
func nextOrNothing(t *testing.T, sub *Subscription) []*Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	got, _ := sub.Next(ctx)
	return got
}

// TestStalledSubscriberHoldsABoundedNumberOfBytes: a subscriber that stops
// reading while 1 MiB events flow holds about DefaultSubscriberBytes of
// them, not its count bound's worth (8192 events, 8 GiB), and is told how
// many it missed; a must-deliver observation still gets in, within its own
// multiple of the bound.
func TestStalledSubscriberHoldsABoundedNumberOfBytes(t *testing.T) {
	b := NewBus()
	sub := b.Subscribe(0)
	defer sub.Close()
	event := strings.Repeat("x", 1<<20)
	for range 64 {
		b.Publish(&Observation{Type: TypeSSEEvent, Raw: event})
	}
	b.Publish(&Observation{Type: TypeStreamClosed, Reason: "upstream ended"})
	if q := sub.Backlog(); q > DefaultSubscriberBytes+(2<<20) {
		t.Errorf("the stalled subscriber holds %d MiB, want about %d", q>>20, DefaultSubscriberBytes>>20)
	}
	got := nextOrNothing(t, sub)
	if len(got) < 3 || got[0].Type != TypeDropped || got[len(got)-1].Type != TypeStreamClosed {
		t.Fatalf("got %d observations; want a dropped notice, some events and the stream_closed", len(got))
	}
	if kept := len(got) - 2; got[0].Dropped != int64(64-kept) {
		t.Errorf("dropped says %d missed, but %d of 64 events were kept", got[0].Dropped, kept)
	}

	for range 64 { // must-deliver observations, as large, stop at their multiple
		b.Publish(&Observation{Type: TypeStreamClosed, Reason: event})
	}
	if q := sub.Backlog(); q > MustDeliverFactor*DefaultSubscriberBytes+(2<<20) {
		t.Errorf("must-deliver observations took %d MiB, want at most %d", q>>20, MustDeliverFactor*DefaultSubscriberBytes>>20)
	}
}

// TestMaxBytesSetsTheBound: MaxBytes changes a lossy subscriber's byte
// bound; an observation larger than the bound is still delivered when
// nothing else is queued.
func TestMaxBytesSetsTheBound(t *testing.T) {
	b := NewBus()
	sub := b.Subscribe(0, MaxBytes(64<<10))
	defer sub.Close()
	big := &Observation{Type: TypeSSEEvent, Raw: strings.Repeat("x", 100<<10)}
	b.Publish(big)
	b.Publish(&Observation{Type: TypeSSEEvent, Raw: "data: x\n\n"})
	got := nextOrNothing(t, sub)
	if len(got) != 2 || got[0].Type != TypeDropped || got[0].Dropped != 1 || got[1] != big {
		t.Fatalf("got %v; want a drop of one and the large event", got)
	}
	for range 1000 {
		b.Publish(&Observation{Type: TypeSSEEvent, Raw: strings.Repeat("y", 1000)})
	}
	if q := sub.Backlog(); q > 64<<10 {
		t.Errorf("holds %d KiB, want at most 64", q>>10)
	}
}

// TestStalledBorrowerPinsFewLeases: a borrowing subscriber that stops
// reading pins at most maxPinnedPerSubscriber of read buffers, not a lease
// per queued event up to the whole budget (64 MiB); what it queues past
// that is a copy, with the same text, that pins nothing.
func TestStalledBorrowerPinsFewLeases(t *testing.T) {
	b := NewBus()
	sub := borrowing(b, 0)
	defer sub.Close()
	budget := leaseBudget{max: maxLeases}
	const published = 200
	for range published { // each event in a lease of its own, as from many streams
		o, l := leasedObservation(t, &budget)
		b.PublishAll([]*Observation{o})
		l.release() // the builder's reference: published
	}
	if out, most := budget.out.Load(), int32(maxPinnedPerSubscriber/leaseSize); out > most {
		t.Fatalf("the stalled borrower pins %d leases (%d MiB), want at most %d", out, int(out)*leaseSize>>20, most)
	}
	lend(t, sub, func(got []*Observation) {
		if len(got) != published {
			t.Fatalf("got %d observations, want all %d (the queue holds them, copied)", len(got), published)
		}
		for i, o := range got {
			if !strings.HasPrefix(o.Raw, "id: 7\ndata: {") || o.Method != "notifications/progress" {
				t.Fatalf("observation %d reads %q: a copy lost its text", i, o.Raw)
			}
		}
	})
	if out := budget.out.Load(); out != 0 {
		t.Fatalf("%d leases still out after the callback returned", out)
	}
}

// TestDeferredWorkIsBoundedInBytes: deferred work that holds more than
// maxDeferredBytes runs on the goroutine that hands it over, so a worker
// that falls behind holds at most that much.
func TestDeferredWorkIsBoundedInBytes(t *testing.T) {
	b := NewBus()
	sub := b.SubscribeLossless(1 << 30)
	defer sub.Close()
	ran := 0
	piece := workFunc(func(EmitFunc) { ran++ })
	const size = 1 << 20
	for range 2 * maxDeferredBytes / size {
		b.deferWork(piece, 0, size)
		b.deferred.queueMu.Lock()
		held := b.deferred.queuedBytes
		b.deferred.queueMu.Unlock()
		if held > maxDeferredBytes {
			t.Fatalf("deferred work holds %d MiB, want at most %d", held>>20, maxDeferredBytes>>20)
		}
	}
	b.Close()
	if ran != 2*maxDeferredBytes/size {
		t.Fatalf("%d pieces ran, want every one", ran)
	}
}

// TestBorrowerCountsDistinctLeases: a borrowing subscriber counts each
// lease it pins once, however often the queued observations switch between
// them: two streams interleaving their events over 200 observations pin two
// leases, far below maxPinnedPerSubscriber, and every observation is queued
// as published, not copied.
func TestBorrowerCountsDistinctLeases(t *testing.T) {
	b := NewBus()
	sub := borrowing(b, 0)
	defer sub.Close()
	budget := leaseBudget{max: maxLeases}
	a, la := leasedObservation(t, &budget)
	c, lc := leasedObservation(t, &budget)
	const published = 200
	var sent []*Observation
	for i := range published { // the two streams' events alternate
		o := *a
		if i%2 == 1 {
			o = *c
		}
		o.pool = nil
		sent = append(sent, &o)
		b.PublishAll([]*Observation{&o})
	}
	la.release()
	lc.release()
	lend(t, sub, func(got []*Observation) {
		if len(got) != published {
			t.Fatalf("got %d observations, want %d", len(got), published)
		}
		for i, o := range got {
			if o != sent[i] {
				t.Fatalf("observation %d was copied: with 2 leases pinned the queue is far from its bound of %d", i, maxPinnedPerSubscriber/leaseSize)
			}
		}
	})
	if out := budget.out.Load(); out != 0 {
		t.Fatalf("%d leases still out after the callback returned", out)
	}
}

// TestMaxPinnedRaisesTheBound: a borrower subscribed with MaxPinned queues
// events of 64 leases (as from 64 streams, 8 MiB) as published, past the
// default bound of 4 MiB, and still pins at most its own bound when more
// come.
func TestMaxPinnedRaisesTheBound(t *testing.T) {
	b := NewBus()
	const bound = 16 << 20
	sub := b.Subscribe(0, MaxPinned(bound))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sub.NextBorrowed(ctx, func([]*Observation) error { return nil }) // it borrows
	defer sub.Close()
	budget := leaseBudget{max: maxLeases}
	const published = 200
	var sent []*Observation
	for range published {
		o, l := leasedObservation(t, &budget)
		sent = append(sent, o)
		b.PublishAll([]*Observation{o})
		l.release()
	}
	if out, most := budget.out.Load(), int32(bound/leaseSize); out != most {
		t.Fatalf("the stalled borrower pins %d leases, want its bound, %d", out, most)
	}
	lend(t, sub, func(got []*Observation) {
		if len(got) != published {
			t.Fatalf("got %d observations, want %d", len(got), published)
		}
		for i := range 64 {
			if got[i] != sent[i] {
				t.Fatalf("observation %d was copied: 64 leases are within MaxPinned's %d", i, bound/leaseSize)
			}
		}
	})
	if out := budget.out.Load(); out != 0 {
		t.Fatalf("%d leases still out after the callback returned", out)
	}
}

// TestKeeperCopiesOnlyWhatFits: for a subscriber that keeps what it reads
// (Next), the bus copies an observation that borrows only once it fits
// the queue: what the bounds drop (most of a saturated stream, for a TUI
// that reads once a frame) costs no copy.
func TestKeeperCopiesOnlyWhatFits(t *testing.T) {
	b := NewBus()
	sub := b.Subscribe(1)
	defer sub.Close()
	budget := leaseBudget{max: maxLeases}
	o, l := leasedObservation(t, &budget)
	defer l.release()
	b.Publish(o) // fits: queued as a copy
	if allocs := testing.AllocsPerRun(100, func() { b.Publish(o) }); allocs != 0 {
		t.Errorf("publishing to a full queue allocates %.0f times: the dropped observation was copied", allocs)
	}
	got := nextOrNothing(t, sub)
	if len(got) != 2 || got[0].Type != TypeDropped || got[1].lease != nil || got[1].Raw != o.Raw {
		t.Fatalf("got %+v, want the drop notice and one owned copy", got)
	}
}
