package proxy

import (
	"github.com/mcpscope/mcpscope/jsonrpc"

	"sync"
	"unsafe"
)

// outbox holds a stream's observations between the moment the proxy reads
// an event and the moment the client has it. At the flush the stream hands
// them to the bus as one piece of deferred work (Bus.Defer): what is not
// built yet (a captured block) is built there, off the data path, and
// everything goes out in order, with one PublishAll per read. Everything the
// stream publishes goes through its outbox (sseStream.publish), so its
// observations keep their order.
type outbox struct {
	pending *handedOff // the entries not handed over yet (pooled; nil when there are none, so an idle stream holds none)
	leased  int        // bytes of the entries that borrow a lease
	size    int        // bytes the entries hold: their blocks' and their own
	built   int        // the leading entries known to be built (buildCaptured)
}

type outboxEntry struct {
	o         *Observation     // nil until built from captured
	captured  capturedBlock    // when o is nil: the block to build the observation of, off the data path; its lease is released once o is published
	published bool             // o is out already (a breakpoint published it)
	env       jsonrpc.Envelope // the message o carries, to link its answer later
	scope     string           // correlation scope when it was read

	// batchText is an event's data that holds a JSON-RPC batch: one message
	// observation per element is published after the event's.
	batchText string
}

func (b *outbox) add(e outboxEntry) {
	if e.env.Kind != KindRequest {
		e.env = jsonrpc.Envelope{} // only requests are remembered
	}
	*b.next() = e
}

// next appends an empty entry and returns it.
func (b *outbox) next() *outboxEntry {
	if b.pending == nil {
		b.pending = handOffs.Get().(*handedOff)
	}
	b.size += int(unsafe.Sizeof(outboxEntry{}))
	b.pending.entries = append(b.pending.entries, outboxEntry{})
	return &b.pending.entries[len(b.pending.entries)-1]
}

// last returns the newest entry not handed over yet, or nil.
func (b *outbox) last() *outboxEntry {
	if b.pending == nil || len(b.pending.entries) == 0 {
		return nil
	}
	return &b.pending.entries[len(b.pending.entries)-1]
}

// buildCaptured builds the observations of the captured entries, in
// order, before the stream observes an event at once (observe): a message
// is described (its answer linked, its operation noted) only after the
// messages the stream read before it, as when all are built off the data
// path.
func (b *outbox) buildCaptured(s *sseStream) {
	if b.pending == nil {
		return
	}
	entries := b.pending.entries
	for i := b.built; i < len(entries); i++ {
		if e := &entries[i]; e.o == nil {
			e.o = newPooledObservation() // let go of once published (publishEntries)
			e.env, e.batchText = s.p.buildEvent(e.o, &e.captured, s.id, s.exchange)
			if e.env.Kind != KindRequest {
				e.env = jsonrpc.Envelope{}
			}
		}
	}
	b.built = len(entries)
}

// handOff gives everything in the outbox to the bus, to be built (where it
// is not yet) and published in order, with the requests among it noted so
// their answers can be linked (which needs the Seq that publishing
// assigns). The entries travel in a pooled handedOff that comes back to the
// pool once run, so a stream's reads allocate no outbox.
func (b *outbox) handOff(s *sseStream) {
	w := b.pending
	if w == nil {
		return
	}
	b.pending = nil // the deferred work owns the entries now
	w.p, w.stream, w.exchange = s.p, s.id, s.exchange
	s.p.bus().deferWork(w, b.leased, b.size)
	b.leased, b.size, b.built = 0, 0, 0
}

// handedOff is one outbox handed to the bus; it is recycled once run.
type handedOff struct {
	p                *Proxy
	stream, exchange string
	entries          []outboxEntry
	batch            []*Observation
}

var handOffs = sync.Pool{New: func() any { return new(handedOff) }}

func (w *handedOff) runDeferred(emit EmitFunc) {
	w.batch = w.p.publishEntries(w.entries, w.stream, w.exchange, emit, w.batch[:0])
	clear(w.entries)
	clear(w.batch)
	w.entries, w.p = w.entries[:0], nil
	handOffs.Put(w)
}

// publishEntries builds and publishes entries, gathering each PublishAll's
// observations in batch, which it returns (grown) for reuse.
func (p *Proxy) publishEntries(entries []outboxEntry, stream, exchange string, emit EmitFunc, batch []*Observation) []*Observation {
	start := 0
	for i := range entries {
		e := &entries[i]
		if e.o == nil {
			e.o = newPooledObservation() // let go of below, once published
			e.env, e.batchText = p.buildEvent(e.o, &e.captured, stream, exchange)
			if e.env.Kind != KindRequest {
				e.env = jsonrpc.Envelope{}
			}
		}
		if !e.published {
			batch = append(batch, e.o)
		}
		if e.batchText == "" && i < len(entries)-1 {
			continue
		}
		emit(batch)
		published := entries[start : i+1] // by index below: an entry is a few hundred bytes
		for j := range published {
			p.noteRequest(published[j].o, published[j].env, published[j].scope)
		}
		if e.batchText != "" {
			p.emitMessages(e.batchText, e.scope, stream, exchange, ServerToClient, nil, e.captured.lease, e.o.Time, emit)
		}
		for j := range published { // the subscribers that keep them hold their own references
			switch n := &published[j]; {
			case n.o.pool != nil:
				n.o.release() // and the lease reference n.captured held: o.lease is it
			case n.captured.lease != nil:
				n.captured.lease.release()
			}
		}
		batch, start = batch[:0], i+1 // emit keeps no slice
	}
	return batch
}
