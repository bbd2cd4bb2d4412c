package proxy

import (
	"github.com/mcpscope/mcpscope/jsonrpc"

	"context"
	"time"

	"github.com/mcpscope/mcpscope/rules"
	"github.com/mcpscope/mcpscope/sse"
)

// capturedBlock is what observing one block needs, taken on the data path
// with as little work as can be: the block's bytes (borrowed from the read
// buffer's lease when it has one, else one copy) and its fields as parts of
// them. buildEvent makes the observation from it, possibly later and
// elsewhere.
type capturedBlock struct {
	raw, id, event, data string
	lease                *lease // the reference that keeps raw's bytes while the observation is built and published; nil when raw is a copy
	hasID, hasRetry      bool
	dispatch, describe   bool // describe: the data is a message to describe
	retry                int64
	flags                []string
	at                   time.Time
	gap                  time.Duration
	minted               eventMint
	session              string // shown on the observation
	scope                string // where its message's request was noted: the exchange's scope, not a session the answer created
	resentFrom           uint64 // with the flag FlagResent: the stream answers a re-send of this seq
}

var (
	flagsRewritten        = []string{"rewritten"}
	flagsOversized        = []string{"oversized"}
	flagsOversizedPartial = []string{"oversized", "partial"}
	flagsIncomplete       = []string{"incomplete"}
	flagsComment          = []string{"comment"}
)

// capture puts into c what observing block b (forwarded as out) needs. c
// may share the read buffer's lease: whoever publishes c's observation
// then releases c.lease.
func (s *sseStream) capture(c *capturedBlock, b *sse.Block, now time.Time, gap time.Duration, out []byte, changed bool) {
	*c = capturedBlock{at: now, gap: gap, minted: s.minted, session: s.session, scope: s.scope,
		hasID: b.HasID, hasRetry: b.HasRetry, retry: b.Retry, dispatch: b.Dispatch}
	c.raw, c.lease = s.rawText(out, changed)
	rawText := c.raw // b.Raw's bytes, whose parts the fields can share
	if changed {
		rawText = ""
	}
	if b.HasID {
		c.id = fieldText(rawText, b.Raw, b.ID)
	}
	if len(b.Event) > 0 {
		c.event = fieldText(rawText, b.Raw, b.Event)
	}
	switch {
	case changed:
		c.flags = flagsRewritten
	case b.Oversized && b.Partial:
		c.flags = flagsOversizedPartial
	case b.Oversized:
		c.flags = flagsOversized
	case b.Incomplete:
		c.flags = flagsIncomplete
	case b.IsComment():
		c.flags = flagsComment
	}
	if s.resend.on {
		c.flags, c.resentFrom = append(c.flags[:len(c.flags):len(c.flags)], FlagResent), s.resend.from
	}
	if b.Dispatch && len(b.Data) > 0 && !(s.legacy != nil && string(b.Event) == "endpoint") {
		c.data, c.describe = fieldText(rawText, b.Raw, b.Data), true
	}
}

// buildEvent makes o the observation of a captured block. For a single
// message it describes the message on the observation; a batch comes back
// as batchText, to be published message by message after it. o must be
// empty, or pooled and empty.
func (p *Proxy) buildEvent(o *Observation, c *capturedBlock, stream, exchange string) (env jsonrpc.Envelope, batchText string) {
	*o = Observation{pool: o.pool, Type: TypeSSEEvent, Time: c.at, Direction: ServerToClient, Size: len(c.raw), Gap: c.gap, Raw: c.raw,
		EventID: c.id, HasID: c.hasID, EventType: c.event, Session: c.session, Stream: stream, Exchange: exchange, lease: c.lease}
	if c.hasRetry {
		o.Retry = c.retry
	}
	if c.flags != nil {
		o.Flags = append([]string(nil), c.flags...)
	}
	o.ResentFrom = c.resentFrom
	c.minted.apply(o)
	if c.describe {
		if msgs, n, ok := jsonrpc.SingleOrSplit(c.data); n == 0 {
			env = p.describeMessage(o, msgs, c.scope, ok)
		} else {
			batchText = c.data
		}
	}
	return env, batchText
}

// observe builds the observation of one block at once and applies the rules
// to its message. It returns the bytes to forward (changed when a rule
// changed the message: the event is re-encoded with its id, type and retry)
// and what the rules decided. A single message is described on the event's
// own observation; each message of a batch gets one of its own (rules do not
// act inside batches).
func (s *sseStream) observe(ctx context.Context, b *sse.Block, now time.Time, gap time.Duration, out []byte, changed bool) ([]byte, bool, outcome) {
	s.outbox.buildCaptured(s) // the events read before it are described first
	var c capturedBlock
	s.capture(&c, b, now, gap, out, changed) // judge makes o its own before a rule acts on it
	// Rules may keep the observation (held messages, decisions): never pooled.
	o := new(Observation)
	env, batch := s.p.buildEvent(o, &c, s.id, s.exchange)
	o.revision = s.revision
	v := outcome{}
	if c.describe && batch == "" {
		v = s.p.judge(ctx, o, c.data, false, func() { s.flush() })
		out, changed = s.applyToEvent(o, b, c.data, v, out, changed)
		if v.text != c.data && !v.drop {
			env = jsonrpc.Read(v.text) // edited or modified: its answer answers what was forwarded
		}
		if v.reply != "" && !v.published {
			// Answered in the client's place (block, mock): published
			// now, after what came before, so that the request is noted
			// before the reply's answer to it is described.
			s.flush()
			s.p.bus().Publish(o)
			v.published = true
		}
		if v.published && env.Kind == KindRequest {
			// Held (or answered), so published already: noted now, before
			// the client (or a reply in its place) can answer it.
			s.p.noteRequest(o, env, s.scope)
			env = jsonrpc.Envelope{}
		}
		if v.reply != "" {
			s.replyUpstream(ctx, v.reply)
		}
	}
	if c.lease != nil {
		s.outbox.leased += len(c.raw)
	}
	s.outbox.size += o.Footprint()
	s.outbox.add(outboxEntry{o: o, captured: capturedBlock{lease: c.lease}, published: v.published, env: env, batchText: batch, scope: s.scope})
	return out, changed, v
}

// observeLater captures one block, to be built and published off the data
// path when the stream next flushes (no rule needs to judge it).
func (s *sseStream) observeLater(b *sse.Block, now time.Time, gap time.Duration, out []byte, changed bool) {
	e := s.outbox.next()
	e.scope = s.scope
	c := &e.captured
	s.capture(c, b, now, gap, out, changed)
	if c.lease != nil {
		s.outbox.leased += len(c.raw)
	}
	s.outbox.size += len(c.raw)
}

// applyToEvent returns the bytes to forward for an event whose message the
// rules judged: its bytes with the new message in place of the old (when
// the message is on one data line; else the event re-encoded), or a rule's
// malformed frame. The observation shows what is forwarded.
func (s *sseStream) applyToEvent(o *Observation, b *sse.Block, data string, v outcome, out []byte, changed bool) ([]byte, bool) {
	switch {
	case v.rule != nil && v.rule.Action == rules.Malformed:
		out, changed = []byte(v.rule.Frame), true
	case v.text != data && !v.drop:
		var ok bool
		if out, ok = sse.ReplaceData(b.Raw, v.text); !ok { // one data line: only its value changes
			ev := sse.Event{ID: string(b.ID), HasID: b.HasID, Event: string(b.Event), Data: v.text, Retry: b.Retry, HasRetry: b.HasRetry}
			out = sse.AppendEvent(nil, ev)
		}
		changed = true
	default:
		return out, changed
	}
	if !v.published {
		o.Raw, o.Size = string(out), len(out)
	}
	return out, changed
}

// inject writes a rule's notification as an event of its own after the
// event that triggered it, and publishes it.
func (s *sseStream) inject(ctx context.Context, r *rules.Rule, end int) {
	msg := r.InjectedMessage()
	frame := sse.AppendEvent(nil, sse.Event{Event: "message", Data: msg})
	minted := ""
	if s.mint != nil {
		frame, minted = s.mintEvent(ctx, frame)
	}
	s.w.addOther(frame, end)
	s.gate.events.Add(1)
	s.gate.bytes.Add(int64(len(frame)))
	if s.p.bus().Active() {
		o := &Observation{Type: TypeSSEEvent, Direction: ServerToClient, Size: len(frame), Raw: string(frame), Flags: []string{"injected"},
			Decision: &Decision{Rules: []string{r.Name}, Action: string(rules.Inject)}, MintedID: minted}
		s.p.describeMessage(o, msg, s.scope, true)
		s.publish(o)
	}
}

// rawText returns the bytes of a block as the string its observation keeps.
// When the block lies unchanged in a leased chunk (or began in earlier
// chunks just before it in the lease), the string shares the lease's bytes
// and comes with a new reference to it; otherwise it is a copy and the
// lease nil.
func (s *sseStream) rawText(out []byte, changed bool) (string, *lease) {
	l := s.buf.chunkLease()
	if l == nil || changed {
		return string(out), nil
	}
	if subsliceOffset(s.w.chunk, out) >= 0 {
		l.retain()
		return s.buf.text(out), l
	}
	if text := s.buf.spanning(len(out), s.parser.Consumed()); text != "" {
		l.retain()
		return text, l
	}
	return string(out), nil
}

// fieldText returns field, a part of the block's bytes raw, as a string:
// the matching part of rawText (a copy of raw) when the field is a
// sub-slice of raw, so most fields cost no allocation.
func fieldText(rawText string, raw, field []byte) string {
	if i := subsliceOffset(raw, field); i >= 0 && i+len(field) <= len(rawText) {
		return rawText[i : i+len(field)]
	}
	return string(field)
}

// subsliceOffset returns where inner starts in outer if inner is a
// subslice of it, or -1.
func subsliceOffset(outer, inner []byte) int {
	if len(inner) == 0 || len(outer) == 0 {
		return -1
	}
	off := cap(outer) - cap(inner)
	if off < 0 || off+len(inner) > len(outer) || &outer[off] != &inner[0] {
		return -1
	}
	return off
}

// publish publishes o after the observations already in the outbox,
// stamped now (the outbox publishes it later).
func (s *sseStream) publish(o *Observation) {
	if !s.p.bus().Active() {
		return
	}
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	o.Session, o.Stream, o.Exchange = s.session, s.id, s.exchange
	s.outbox.add(outboxEntry{o: o, scope: s.scope})
	s.outbox.handOff(s)
}
