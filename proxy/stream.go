package proxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"mcpscope/sse"
)

// sseStream forwards one SSE response event by event. One goroutine (the
// client request's handler) runs it from open to close.
type sseStream struct {
	p       *Proxy
	id      string
	session string // shown with the stream's observations
	scope   string // correlation scope of the exchange that opened it
	kind    StreamKind
	w       *batchWriter
	rc      *http.ResponseController
	parser  sse.Parser
	buf     readBuffer
	legacy  *legacyEndpoint // set on a legacy GET /sse stream
	gate    *streamGate

	last time.Time // when the previous block arrived
}

func (p *Proxy) streamSSE(w http.ResponseWriter, r *http.Request, ex *exchange, resp *http.Response) {
	s := &sseStream{
		p:     p,
		id:    "st-" + strconv.FormatUint(p.streamSeq.Add(1), 10),
		scope: ex.scope,
		kind:  streamKind(r),
		w:     &batchWriter{w: w},
		rc:    http.NewResponseController(w),
		last:  time.Now(),
	}
	s.session = ex.scope
	if ex.http.NewSession != "" {
		s.session = ex.http.NewSession
	}
	s.parser.MaxEventSize = p.MaxEventSize
	if s.kind == StreamLegacy {
		s.legacy = &legacyEndpoint{upstream: p.Upstream, clientHost: r.Host, clientTLS: r.TLS != nil}
	}
	if err := s.rc.Flush(); err != nil { // the client learns the stream is open now
		return
	}
	s.gate = p.gates.open(s.id, s.session, s.kind)
	defer p.gates.close(s.gate)
	s.publish(&Observation{Type: TypeStreamOpened, StreamKind: s.kind})
	reason := s.run(r.Context(), resp.Body)
	s.buf.release()
	s.publish(&Observation{Type: TypeStreamClosed, StreamKind: s.kind, Reason: reason, Events: s.gate.events.Load(), Bytes: s.gate.bytes.Load()})
}

// streamKind tells what opened a stream from the request that did.
func streamKind(r *http.Request) StreamKind {
	switch {
	case r.Method == http.MethodPost:
		return StreamPOST
	case r.Header.Get(headerSessionID) == "" && legacySessionID(r.URL.Query()) == "":
		return StreamLegacy // GET without a session: the 2024-11-05 transport's /sse
	default:
		return StreamGET
	}
}

// run is the streaming loop: read a chunk, feed the parser, forward each
// complete block, and flush once the chunk is used up — before the next
// read, which may block. It returns why the stream ended.
func (s *sseStream) run(ctx context.Context, body io.Reader) string {
	for {
		chunk, err := s.buf.read(body)
		if len(chunk) > 0 {
			s.w.startChunk(chunk)
			s.parser.Feed(chunk)
			for {
				b, ok := s.parser.Next()
				if !ok {
					break
				}
				if reason := s.forward(ctx, b); reason != "" {
					return reason
				}
			}
			if werr := s.flush(); werr != nil {
				return "writing client: " + werr.Error()
			}
		}
		if err != nil {
			if b, ok := s.parser.End(); ok {
				if reason := s.forward(ctx, b); reason != "" {
					return reason
				}
				if werr := s.flush(); werr != nil {
					return "writing client: " + werr.Error()
				}
			}
			return endReason(ctx, err)
		}
	}
}

func endReason(ctx context.Context, err error) string {
	switch {
	case ctx.Err() != nil:
		return "client disconnected"
	case errors.Is(err, io.EOF):
		return "upstream ended the stream"
	default:
		return "reading upstream: " + err.Error()
	}
}

func (s *sseStream) flush() error {
	if err := s.w.flushPending(); err != nil {
		return err
	}
	return s.rc.Flush()
}

// forward observes one block, waits at the gate, and writes it: its raw
// bytes, or its re-encoding where the proxy changed it. It returns why the
// stream must end, or "".
func (s *sseStream) forward(ctx context.Context, b *sse.Block) string {
	now := time.Now()
	gap := now.Sub(s.last)
	s.last = now
	out, changed := b.Raw, false
	if s.legacy != nil && b.Dispatch && string(b.Event) == "endpoint" {
		out, changed = s.legacy.rewrite(b)
		if sid := s.legacy.sessionID; sid != "" && sid != s.session {
			s.session, s.scope = sid, sid
			s.p.gates.move(s.gate, sid)
		}
	}
	if s.p.bus().Active() {
		s.observe(b, now, gap, out, changed)
	}
	if s.gate.closed.Load() {
		if err := s.waitAtGate(ctx); err != nil {
			if ctx.Err() != nil {
				return "client disconnected"
			}
			return "writing client: " + err.Error()
		}
	}
	s.gate.events.Add(1)
	s.gate.bytes.Add(int64(len(out)))
	end := s.parser.Consumed()
	if !changed && len(b.Raw) == end-s.w.pendingChunkEnd() {
		s.w.addChunkBytes(end)
	} else {
		s.w.addOther(out, end)
	}
	return ""
}

// waitAtGate holds the stream at its closed gate until the gate opens (or
// a step lets this one event through) or the client leaves. Everything
// before the event is flushed to the client first; nothing more is read
// from the upstream meanwhile.
func (s *sseStream) waitAtGate(ctx context.Context) error {
	if err := s.flush(); err != nil {
		return err
	}
	held := int64(len(s.w.chunk)-s.w.pendingChunkEnd()) + int64(s.parser.Buffered())
	var waited *Pause
	for {
		ok, pause := s.p.gates.pass(s.gate, held)
		if ok {
			if waited != nil {
				s.publish(&Observation{Type: TypeGate, Gate: &GateChange{Action: "released", Scope: "stream", By: waited.By, Since: waited.Since}})
			}
			return nil
		}
		if waited == nil {
			waited = pause
			s.publish(&Observation{Type: TypeGate, Gate: &GateChange{Action: "held", Scope: "stream", By: pause.By, Since: pause.Since, HeldBytes: held, HeldEvents: 1}})
		}
		select {
		case <-s.gate.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// observe publishes one block, with the JSON-RPC message its data carries.
// A single message is described on the event's own observation; each
// message of a batch gets one of its own.
func (s *sseStream) observe(b *sse.Block, now time.Time, gap time.Duration, out []byte, changed bool) {
	o := &Observation{Type: TypeSSEEvent, Time: now, Direction: ServerToClient, Size: len(out), Gap: gap, Raw: string(out)}
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
	var env envelope
	var batch string
	if b.Dispatch && len(b.Data) > 0 && !(s.legacy != nil && string(b.Event) == "endpoint") {
		data := fieldText(rawText, b.Raw, b.Data)
		if msgs, n, ok := splitMessages(data); n == 0 {
			env = s.p.describeMessage(o, msgs[0], s.scope)
			if !ok && env.kind != KindInvalid {
				o.Kind = KindInvalid
				o.Flags = append(o.Flags, "invalid_json")
			}
		} else {
			batch = data
		}
	}
	s.publish(o)
	s.p.noteRequest(o, env, s.scope)
	if batch != "" {
		s.p.publishMessages(batch, s.scope, s.id, ServerToClient, nil)
	}
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

func (s *sseStream) publish(o *Observation) {
	if !s.p.bus().Active() {
		return
	}
	o.Session, o.Stream = s.session, s.id
	s.p.bus().Publish(o)
}

// readBuffer is the stream's read buffer. It stays small while the stream
// idles (an open stream mostly waits) and grows to a pooled large buffer
// while reads keep filling it, so throughput does not pay for idle memory.
type readBuffer struct {
	small  []byte
	large  *[]byte
	shrink bool // give the large buffer back before the next read
}

const (
	smallReadBuffer = 4 << 10
	largeReadBuffer = 64 << 10
)

var largeBuffers = newBufferPool(largeReadBuffer)

func (rb *readBuffer) read(r io.Reader) ([]byte, error) {
	if rb.shrink {
		rb.release()
	}
	var buf []byte
	if rb.large != nil {
		buf = *rb.large
	} else {
		if rb.small == nil {
			rb.small = make([]byte, smallReadBuffer)
		}
		buf = rb.small
	}
	n, err := r.Read(buf)
	switch {
	case rb.large == nil && n == len(buf):
		rb.large = largeBuffers.get() // busy: read more at once next time
	case rb.large != nil && n < len(buf)/8:
		rb.shrink = true // caught up: the next read is likely to wait
	}
	return buf[:n], err
}

// release returns the large buffer to the pool. The chunk read into it must
// have been forwarded already.
func (rb *readBuffer) release() {
	rb.shrink = false
	if rb.large != nil {
		largeBuffers.put(rb.large)
		rb.large = nil
	}
}
