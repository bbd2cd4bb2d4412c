package stats

import (
	"strings"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// call is a request not yet answered.
type call struct {
	seq       uint64
	method    rowKey // the method's row
	tool      rowKey // the tool's row, for tools/call (zero otherwise)
	session   string
	dir       proxy.Direction
	id        string // the JSON-RPC id as sent
	exchange  string
	started   time.Time
	stream    bool      // open by design (openStreams)
	op        string    // its operation (proxy/operations.go): its progress notifications carry it
	lastSign  time.Time // its last progress (zero: none)
	signs     int       // progress notifications seen
	ended     time.Time // when the client gave up or the stream closed (zero while waiting)
	endReason string
}

// openStreams are the methods whose requests stay open by design: their
// answer ends a stream, not a wait. 2026-07-28's subscriptions/listen is
// the sessionless stand-in for the GET stream.
var openStreams = map[string]bool{"subscriptions/listen": true}

// pendingCalls are the requests not yet answered, by request seq, with an
// index by (session, direction, id) for cancellation. At most max are
// kept.
type pendingCalls struct {
	max   int
	bySeq map[uint64]*call
	byID  map[string]uint64
	byOp  map[string]uint64 // operation → the seq of its newest pending request
	// inExchange counts the calls of each exchange, so the end of an
	// exchange or stream (one per POST) costs a scan only when it has some.
	inExchange map[string]int
}

func newPendingCalls(max int) pendingCalls {
	return pendingCalls{max: max, bySeq: make(map[uint64]*call), byID: make(map[string]uint64), byOp: make(map[string]uint64), inExchange: make(map[string]int)}
}

func idKey(session string, dir proxy.Direction, id string) string {
	return session + "\x00" + string(dir) + "\x00" + id
}

// add tracks c; false when there is no room (no call has ended to make
// room: the ones still waiting are the ones worth showing). forgotten is
// the ended call dropped to make room, if any: it is no longer pending,
// and its rows must say so.
func (p *pendingCalls) add(c *call) (added bool, forgotten *call) {
	if _, dup := p.bySeq[c.seq]; dup || c.seq == 0 {
		return false, nil // not from the bus (a hostile recording): its answer could not name it
	}
	if len(p.bySeq) >= p.max {
		if forgotten = p.forgetEnded(); forgotten == nil {
			return false, nil
		}
	}
	p.bySeq[c.seq] = c
	if len(c.id) <= MaxNameBytes { // a longer id is not worth an index entry
		p.byID[idKey(c.session, c.dir, c.id)] = c.seq
	}
	if c.op != "" && len(c.op) <= MaxNameBytes {
		p.byOp[c.op] = c.seq
	}
	if c.exchange != "" {
		p.inExchange[c.exchange]++
	}
	return true, forgotten
}

// alive notes a sign of life (a progress notification) of the call of
// operation op.
func (p *pendingCalls) alive(op string, at time.Time) {
	seq, ok := p.byOp[op]
	if !ok {
		return
	}
	if c := p.bySeq[seq]; c != nil {
		c.lastSign = at
		c.signs++
	}
}

// forgetEnded drops the oldest call that has ended and returns it, or nil
// when none has.
func (p *pendingCalls) forgetEnded() *call {
	var oldest *call
	for _, c := range p.bySeq {
		if !c.ended.IsZero() && (oldest == nil || c.seq < oldest.seq) {
			oldest = c
		}
	}
	if oldest != nil {
		p.remove(oldest)
	}
	return oldest
}

func (p *pendingCalls) remove(c *call) {
	delete(p.bySeq, c.seq)
	k := idKey(c.session, c.dir, c.id)
	if p.byID[k] == c.seq {
		delete(p.byID, k)
	}
	if c.op != "" && p.byOp[c.op] == c.seq {
		delete(p.byOp, c.op)
	}
	if c.exchange != "" {
		if p.inExchange[c.exchange]--; p.inExchange[c.exchange] <= 0 {
			delete(p.inExchange, c.exchange)
		}
	}
}

// answered removes and returns the call the answer to request seq ends.
func (p *pendingCalls) answered(seq uint64) *call {
	c := p.bySeq[seq]
	if c != nil {
		p.remove(c)
	}
	return c
}

// cancel removes and returns the call a notifications/cancelled sent in
// dir names (requestId as JSON text).
func (p *pendingCalls) cancel(session string, dir proxy.Direction, requestID string) *call {
	seq, ok := p.byID[idKey(session, dir, requestID)]
	if !ok {
		return nil
	}
	return p.answered(seq)
}

// failExchange removes and returns the calls of a failed exchange.
func (p *pendingCalls) failExchange(exchange string) []*call {
	if p.inExchange[exchange] == 0 {
		return nil
	}
	var failed []*call
	for _, c := range p.bySeq {
		if c.exchange == exchange {
			failed = append(failed, c)
		}
	}
	for _, c := range failed {
		p.remove(c)
	}
	return failed
}

// end marks the waiting calls of an exchange as given up on at when:
// they stay pending (no answer came) but their age stops growing.
func (p *pendingCalls) end(exchange string, when time.Time, reason string) {
	if p.inExchange[exchange] == 0 {
		return
	}
	for _, c := range p.bySeq {
		if c.exchange == exchange && c.ended.IsZero() {
			c.ended, c.endReason = when, reason
		}
	}
}

// streamClosed ends the calls answered on a stream that closed before
// their answer: the client may still resume it (2025 revisions) and get
// the answer, which then completes the call.
func (p *pendingCalls) streamClosed(o *proxy.Observation) {
	if o.Exchange == "" {
		return
	}
	reason := "stream closed"
	if o.Reason != "" {
		reason += ": " + o.Reason
	}
	if len(reason) > 200 {
		reason = strings.ToValidUTF8(reason[:200], "") + "…"
	}
	p.end(o.Exchange, o.Time, reason)
}
