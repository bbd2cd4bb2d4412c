package otlp

import (
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/mcpscope/mcpscope/proxy"
)

// MaxPending bounds the operations a Builder waits on; past it, the oldest
// is ended unanswered to make room (its span is kept, not lost).
const MaxPending = 512

// op is a request whose span waits for its answer. Its strings are the
// builder's own (copied from the observation, which may borrow).
type op struct {
	span     trace.Span
	seq      uint64
	session  string
	exchange string
	method   string
	idKey    string // session, direction, id: for notifications/cancelled
	tokenKey string // session and progressToken: for its progress
	started  time.Time
}

// pending are the operations waiting for their answers, by the request's
// seq, with indexes by exchange (its HTTP failure, its stream's end and
// events), progress token and JSON-RPC id.
type pending struct {
	bySeq      map[uint64]*op
	byExchange map[string][]*op
	byToken    map[string]*op
	byID       map[string]*op
}

func newPending() pending {
	return pending{bySeq: map[uint64]*op{}, byExchange: map[string][]*op{}, byToken: map[string]*op{}, byID: map[string]*op{}}
}

func idKey(session string, dir proxy.Direction, id string) string {
	return session + "\x00" + string(dir) + "\x00" + id
}

// full reports whether no more operations fit.
func (p *pending) full() bool { return len(p.bySeq) >= MaxPending }

// oldest returns the operation waiting longest (nil if none).
func (p *pending) oldest() *op {
	var old *op
	for _, c := range p.bySeq {
		if old == nil || c.seq < old.seq {
			old = c
		}
	}
	return old
}

func (p *pending) add(c *op) {
	p.bySeq[c.seq] = c
	if c.exchange != "" {
		p.byExchange[c.exchange] = append(p.byExchange[c.exchange], c)
	}
	if c.tokenKey != "" {
		p.byToken[c.tokenKey] = c
	}
	if c.idKey != "" {
		p.byID[c.idKey] = c
	}
}

// take removes and returns the operation of request seq (nil if unknown).
func (p *pending) take(seq uint64) *op {
	c := p.bySeq[seq]
	if c != nil {
		p.remove(c)
	}
	return c
}

func (p *pending) remove(c *op) {
	delete(p.bySeq, c.seq)
	if c.exchange != "" {
		ops := p.byExchange[c.exchange]
		for i, x := range ops {
			if x == c {
				ops = append(ops[:i], ops[i+1:]...)
				break
			}
		}
		if len(ops) == 0 {
			delete(p.byExchange, c.exchange)
		} else {
			p.byExchange[c.exchange] = ops
		}
	}
	if c.tokenKey != "" && p.byToken[c.tokenKey] == c {
		delete(p.byToken, c.tokenKey)
	}
	if c.idKey != "" && p.byID[c.idKey] == c {
		delete(p.byID, c.idKey)
	}
}

// ofExchange returns the operations of an exchange (shared: copy before
// removing any).
func (p *pending) ofExchange(exchange string) []*op {
	if exchange == "" {
		return nil
	}
	return p.byExchange[exchange]
}
