package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
)

// call is one request waiting for its replies.
type call struct {
	mu      sync.Mutex
	expect  []string           // the instances asked
	replies map[string]message // by instance, the first reply of each
	done    chan struct{}      // closed once every instance asked has answered
	over    bool               // the caller stopped waiting; later replies are dropped
}

// deliver hands a reply to the request waiting for it; a reply nobody
// waits for (late, or forged) is dropped.
func (p *Peers) deliver(m message) {
	p.mu.Lock()
	c := p.pending[m.Corr]
	p.mu.Unlock()
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.over || !slices.Contains(c.expect, m.From) {
		return
	}
	if _, seen := c.replies[m.From]; seen {
		return
	}
	c.replies[m.From] = m
	if len(c.replies) == len(c.expect) {
		c.over = true
		close(c.done)
	}
}

// ask publishes a request to one instance (to) or to every other live
// instance (to ""), and waits until each has answered, for at most the
// timeout. It returns the replies by instance and, in order, the
// instances that did not answer. It fails, asking nobody, with ErrBusy
// past MaxInflight, with ErrUnknownInstance if to is not live, and with
// ErrUnreachable if Redis is.
func (p *Peers) ask(ctx context.Context, to, op, id, by string) (map[string]message, []string, error) {
	select {
	case p.inflight <- struct{}{}:
		defer func() { <-p.inflight }()
	default:
		return nil, nil, fmt.Errorf("%w (%d)", ErrBusy, cap(p.inflight))
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	live, err := p.Instances(ctx)
	if err != nil {
		return nil, nil, err
	}
	expect := slices.DeleteFunc(slices.Clone(live), func(i string) bool { return i == p.id })
	channel := p.broadcast()
	if to != "" {
		if !slices.Contains(expect, to) {
			return nil, nil, fmt.Errorf("%w %q on this Redis (live: %s)", ErrUnknownInstance, to, orNone(live, p.id))
		}
		expect, channel = []string{to}, p.channel(to)
	}
	if len(expect) == 0 {
		return nil, nil, nil
	}
	corrBytes := make([]byte, 12)
	rand.Read(corrBytes)
	corr := hex.EncodeToString(corrBytes)
	c := &call{expect: expect, replies: map[string]message{}, done: make(chan struct{})}
	p.mu.Lock()
	p.pending[corr] = c
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.pending, corr)
		p.mu.Unlock()
	}()
	req := message{V: wireVersion, Kind: "req", Corr: corr, From: p.id, To: to, Op: op, ID: id, By: by}
	if err := p.client.Publish(ctx, channel, encode(req, p.maxMessage)).Err(); err != nil {
		return nil, nil, unreachable("publishing the request", err)
	}
	select {
	case <-c.done:
	case <-ctx.Done():
	case <-p.ctx.Done():
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.over = true
	var missing []string
	for _, i := range expect {
		if _, ok := c.replies[i]; !ok {
			missing = append(missing, i)
		}
	}
	return c.replies, missing, nil
}

// orNone lists the live instances for an error message.
func orNone(live []string, self string) string {
	if len(live) == 0 {
		return "none, not even this one (" + self + "): is its heartbeat failing?"
	}
	s := ""
	for i, id := range live {
		if i > 0 {
			s += ", "
		}
		s += id
	}
	return s
}
