package proxy

// outbox holds a stream's observations between the moment the proxy reads
// an event and the moment the client has it: they are published after the
// flush, so waking observers is not on the event's way to the client, and
// everything one read brought goes to the bus in one step (Bus.PublishAll).
// The order of a stream's observations is kept: everything the stream
// publishes directly goes through the outbox first (sseStream.publish), and
// every wait flushes — and so publishes — before it starts.
type outbox struct {
	entries []outboxEntry
	batch   []*Observation // reused by publish
}

type outboxEntry struct {
	o         *Observation
	published bool     // o is out already (a breakpoint published it)
	env       envelope // the message o carries, to link its answer later

	// batchText is an event's data that holds a JSON-RPC batch: one message
	// observation per element is published after the event's.
	batchText string
}

// keptOutboxEntries bounds the capacity an outbox keeps between reads, so
// an idle stream does not hold what a burst needed.
const keptOutboxEntries = 32

func (b *outbox) add(e outboxEntry) {
	if e.env.kind != KindRequest {
		e.env = envelope{} // only requests are remembered
	}
	b.entries = append(b.entries, e)
}

// publish hands everything in the outbox to p's bus, in order, and notes the
// requests among it so their answers can be linked (which needs the Seq
// that publishing assigns).
func (b *outbox) publish(s *sseStream) {
	if len(b.entries) == 0 {
		return
	}
	p, start := s.p, 0
	for i, e := range b.entries {
		if !e.published {
			b.batch = append(b.batch, e.o)
		}
		if e.batchText == "" && i < len(b.entries)-1 {
			continue
		}
		p.bus().PublishAll(b.batch)
		for _, n := range b.entries[start : i+1] {
			p.noteRequest(n.o, n.env, s.scope)
		}
		if e.batchText != "" {
			p.publishMessages(e.batchText, s.scope, s.id, s.exchange, ServerToClient, nil)
		}
		clear(b.batch)
		b.batch, start = b.batch[:0], i+1
	}
	clear(b.entries)
	b.entries = b.entries[:0]
	if cap(b.entries) > keptOutboxEntries {
		b.entries, b.batch = nil, nil
	}
}
