package proxy

import (
	"context"
	"time"

	"mcpscope/rules"
	"mcpscope/sse"
)

// observe publishes one block with the JSON-RPC message its data carries,
// and applies the rules to that message. It returns the bytes to forward
// (changed when a rule changed the message: the event is re-encoded with its
// id, type and retry) and what the rules decided. A single message is
// described on the event's own observation; each message of a batch gets one
// of its own (rules do not act inside batches).
func (s *sseStream) observe(ctx context.Context, b *sse.Block, now time.Time, gap time.Duration, out []byte, changed bool) ([]byte, bool, outcome) {
	o := &Observation{Type: TypeSSEEvent, Time: now, Direction: ServerToClient, Size: len(out), Gap: gap, Raw: s.rawText(out, changed)}
	rawText := o.Raw // a copy of b.Raw, whose parts the fields can share
	if changed {
		rawText = ""
	}
	if b.HasID {
		o.EventID, o.HasID = fieldText(rawText, b.Raw, b.ID), true
	}
	if len(b.Event) > 0 {
		o.EventType = fieldText(rawText, b.Raw, b.Event)
	}
	if b.HasRetry {
		o.Retry = b.Retry
	}
	if changed {
		o.Flags = append(o.Flags, "rewritten")
	}
	switch {
	case b.Oversized && b.Partial:
		o.Flags = append(o.Flags, "oversized", "partial")
	case b.Oversized:
		o.Flags = append(o.Flags, "oversized")
	case b.Incomplete:
		o.Flags = append(o.Flags, "incomplete")
	case b.IsComment():
		o.Flags = append(o.Flags, "comment")
	}
	o.Session, o.Stream, o.Exchange = s.session, s.id, s.exchange
	s.minted.apply(o)
	var env envelope
	var batch string
	v := outcome{}
	if b.Dispatch && len(b.Data) > 0 && !(s.legacy != nil && string(b.Event) == "endpoint") {
		data := fieldText(rawText, b.Raw, b.Data)
		if msgs, n, ok := singleOrSplit(data); n == 0 {
			env = s.p.describeMessage(o, msgs, s.scope, ok)
			v = s.p.judge(ctx, o, data, false, func() { s.flush() })
			out, changed = s.applyToEvent(o, b, data, v, out, changed)
		} else {
			batch = data
		}
	}
	s.outbox.add(outboxEntry{o: o, published: v.published, env: env, batchText: batch})
	return out, changed, v
}

// applyToEvent returns the bytes to forward for an event whose message the
// rules judged: re-encoded with the new message, or a rule's malformed
// frame. The observation shows what is forwarded.
func (s *sseStream) applyToEvent(o *Observation, b *sse.Block, data string, v outcome, out []byte, changed bool) ([]byte, bool) {
	switch {
	case v.rule != nil && v.rule.Action == rules.Malformed:
		out, changed = []byte(v.rule.Frame), true
	case v.text != data && !v.drop:
		ev := sse.Event{ID: string(b.ID), HasID: b.HasID, Event: string(b.Event), Data: v.text, Retry: b.Retry, HasRetry: b.HasRetry}
		out, changed = sse.AppendEvent(nil, ev), true
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

// rawText returns the bytes of a block as the string its observation keeps:
// shared with the read buffer when the block lies, unchanged, in a frozen
// chunk, and a copy otherwise.
func (s *sseStream) rawText(out []byte, changed bool) string {
	if !changed && subsliceOffset(s.w.chunk, out) >= 0 {
		return s.buf.text(out)
	}
	return string(out)
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

// publish publishes o at once, after the observations still in the outbox.
func (s *sseStream) publish(o *Observation) {
	s.outbox.publish(s)
	if !s.p.bus().Active() {
		return
	}
	o.Session, o.Stream, o.Exchange = s.session, s.id, s.exchange
	s.p.bus().Publish(o)
}
