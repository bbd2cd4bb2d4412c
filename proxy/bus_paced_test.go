package proxy

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestPacedSubscriptionGathersATrickle: after a small batch a paced
// subscriber waits out its pause, so events published 1 ms apart arrive
// together; a batch that is not small is followed by no pause; the
// reader's context ends a pause.
func TestPacedSubscriptionGathersATrickle(t *testing.T) {
	const pause = 500 * time.Millisecond // long enough that "at once" (under pause/2) holds on a loaded machine
	b := NewBus()
	defer b.Close()
	sub := b.Subscribe(1024, Paced(8, pause))
	defer sub.Close()
	ctx := context.Background()

	b.Publish(&Observation{Type: TypeSSEEvent})
	if batch, err := sub.Next(ctx); err != nil || len(batch) != 1 {
		t.Fatalf("first batch: %d, %v; want the one event at once", len(batch), err)
	}
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			time.Sleep(time.Millisecond)
			b.Publish(&Observation{Type: TypeSSEEvent})
		}
	}()
	batch, err := sub.Next(ctx)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < pause {
		t.Errorf("the batch after a small one came after %v, before the %v pause", waited, pause)
	}
	if len(batch) != 5 {
		t.Errorf("a trickle of 5 events in %v came as a batch of %d, want 5 together", pause, len(batch))
	}

	// A batch of 8 or more is not small: the next read does not wait.
	time.Sleep(pause) // the 5 were small: their pause passes while the reader is away
	for range 8 {
		b.Publish(&Observation{Type: TypeSSEEvent})
	}
	if batch, _ := sub.Next(ctx); len(batch) != 8 {
		t.Fatalf("batch of %d, want 8", len(batch))
	}
	b.Publish(&Observation{Type: TypeSSEEvent})
	start = time.Now()
	if batch, _ := sub.Next(ctx); len(batch) != 1 || time.Since(start) > pause/2 {
		t.Errorf("after a large batch: %d events in %v, want 1 at once", len(batch), time.Since(start))
	}

	// A pause is due now (the last batch was small): ctx ends it.
	cctx, cancel := context.WithTimeout(ctx, pause/10)
	defer cancel()
	if _, err := sub.Next(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next with a context that ends in a pause: %v, want the deadline", err)
	}
}
