package checks

import (
	"context"
	"sync"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// The checker's subscription: lossy like the display's, so a flood can
// never make the proxy wait for the checks (what it misses it says, and
// the checker then forgets what it waited for: see Checker.Lost).
const (
	subscriberBuffer = 1 << 16
	subscriberBytes  = 16 << 20
	tickEvery        = 250 * time.Millisecond
)

// Start checks what b carries from now on, publishing each finding on b as
// an observation of type finding, until stop is called or the bus closes.
// The checks run on goroutines of their own: the data path only offers
// observations to one more subscriber, and never waits for it. stop ends
// them and waits until they have.
func Start(b *proxy.Bus, opts Options) (stop func()) {
	// Paced: under a stream of events the checker wakes ~100 times a
	// second for batches of hundreds, not once per event (a wake-up costs
	// more CPU than checking an event); findings come that much later.
	sub := b.Subscribe(subscriberBuffer, proxy.MaxBytes(subscriberBytes), proxy.Paced(proxy.PaceSmall, proxy.PacePause))
	c := New(opts)
	var mu sync.Mutex // the reader and the ticker share c
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		var found []*proxy.Observation // the findings of one batch, published after it
		collect := func(f *proxy.Observation) { found = append(found, f) }
		check := func(batch []*proxy.Observation) error {
			mu.Lock()
			defer mu.Unlock()
			for _, o := range batch {
				c.Observe(o, collect)
			}
			return nil
		}
		for {
			err := sub.NextBorrowed(context.Background(), check)
			for i, f := range found {
				b.Publish(f)
				found[i] = nil
			}
			found = found[:0]
			if err != nil {
				return
			}
		}
	})
	wg.Go(func() {
		t := time.NewTicker(tickEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				var found []*proxy.Observation
				mu.Lock()
				c.Tick(now, func(f *proxy.Observation) { found = append(found, f) })
				mu.Unlock()
				for _, f := range found {
					b.Publish(f)
				}
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(sub.Close)
		wg.Wait()
	}
}
