package proxy

import (
	"context"
	"time"
)

// Paced makes the subscription wait pause before it hands out the batch
// that follows one of fewer than small observations (counted from when
// it took that one). Under a steady stream
// of events a subscriber otherwise wakes once per event or two: a wake-up
// (a futex, a context switch, on two cores often a thread's hand-over)
// costs more than showing, recording or checking one event, and it is
// taken from the proxy's own goroutines. Paced, it wakes at most 1/pause
// times a second while batches are small and at once when they are large
// (it is behind); what it shows comes up to pause later. The queue goes on
// filling meanwhile, within its bounds (a lossy subscriber drops past them
// as ever; a lossless one has room for far more than pause of traffic).
// The wait ends early if the reader's ctx ends.
func Paced(small int, pause time.Duration) SubscribeOption {
	return func(s *Subscription) {
		if small > 0 && pause > 0 {
			s.paceSmall, s.pace = small, pause
		}
	}
}

// awaitPace waits out what is left of the pause after a small batch, if
// one is due (the time the reader spent on the batch counts). Only the
// reader calls it (from take).
func (s *Subscription) awaitPace(ctx context.Context) error {
	if s.paceUntil.IsZero() {
		return nil
	}
	d := time.Until(s.paceUntil)
	s.paceUntil = time.Time{}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PaceSmall and PacePause are the pacing of the protocol checks, whose
// work per event is small beside a wake-up.
const (
	PaceSmall = 1024
	PacePause = 10 * time.Millisecond
)
