package proxy

import "sync"

// broadcast tells any number of waiters that something changed: each
// waiter takes the current channel, looks at the state, then waits for the
// channel to close; signal closes it and starts a new one. A change after
// the look closes the channel taken before it, so none is missed.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

// changed returns the channel the next signal closes.
func (b *broadcast) changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

// signal wakes every waiter.
func (b *broadcast) signal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}
