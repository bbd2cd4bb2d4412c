package otlp

import (
	"context"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcpscope/mcpscope/proxy"
)

// Builder makes spans from observations, in the order they were published
// (live, from the bus) or recorded. It pairs each request with its answer
// by the answer's RequestSeq, so it needs the observations' Seq.
//
// A Builder is not safe for concurrent use: one goroutine calls Observe
// and Close. It never keeps an observation nor any of its strings (they
// may borrow the proxy's buffers): what it keeps it copies, bounded by
// MaxPending operations and maxSessions sessions.
type Builder struct {
	// Redact, if set, is applied to the free texts a span carries: status
	// descriptions (error messages, HTTP failures, stream close reasons),
	// resource URIs, progress messages, cancel reasons. Names, ids and
	// methods are kept as they are; no message body goes on a span.
	Redact func(string) string
	// Propagator, if set, is the one the proxy rewrites requests with
	// (--otlp-propagate): a client's request gets the span id it wrote
	// upstream, so the server's spans are its children.
	Propagator *Propagator

	tracer   trace.Tracer
	pend     pending
	sessions map[string]*sessionInfo

	spans  int64 // spans ended
	missed int64 // observations the bus dropped before this builder saw them
}

// sessionInfo is what the builder learnt of a session for its spans.
type sessionInfo struct {
	revision string // the negotiated protocol version
	upstream string // the server's id of the session
}

// maxSessions bounds the sessions a Builder remembers; past it, it forgets
// them all (spans then lack the version until the next exchange says it).
const maxSessions = 4096

// NewBuilder returns a builder that starts its spans with tp's tracer.
func NewBuilder(tp trace.TracerProvider, version string) *Builder {
	return &Builder{
		tracer:   tp.Tracer("github.com/mcpscope/mcpscope/otlp", trace.WithInstrumentationVersion(version)),
		pend:     newPending(),
		sessions: map[string]*sessionInfo{},
	}
}

// Spans returns how many spans the builder ended so far.
func (b *Builder) Spans() int64 { return b.spans }

// Missed returns how many observations the bus dropped before the builder
// saw them (from TypeDropped observations): spans may lack events, or an
// answer (then they end unanswered), or be missing.
func (b *Builder) Missed() int64 { return b.missed }

// Observe takes one observation: it may start a span, add an event to one
// or end one.
func (b *Builder) Observe(o *proxy.Observation) {
	switch o.Type {
	case proxy.TypeDropped:
		b.missed += o.Dropped
	case proxy.TypeSession:
		if o.UpstreamSession != "" {
			b.session(o.Session).upstream = clip(o.UpstreamSession)
		}
	case proxy.TypeHTTP:
		b.http(o)
	case proxy.TypeStreamClosed:
		b.streamClosed(o)
	case proxy.TypeMessage, proxy.TypeSSEEvent:
		b.message(o)
	}
}

// Close ends the spans still waiting for an answer, at time at, as
// unanswered. The builder is not used after.
func (b *Builder) Close(at time.Time) {
	for _, c := range b.pend.bySeq {
		b.pend.remove(c)
		b.fail(c, at, errUnanswered, "no answer seen before mcpscope stopped")
	}
}

func (b *Builder) session(id string) *sessionInfo {
	s := b.sessions[id]
	if s == nil {
		if len(b.sessions) >= maxSessions {
			clear(b.sessions)
		}
		s = &sessionInfo{}
		b.sessions[strings.Clone(id)] = s
	}
	return s
}

// http notes an exchange's protocol version, and fails its operations when
// it failed without an answer the client can read.
func (b *Builder) http(o *proxy.Observation) {
	h := o.HTTP
	if h == nil {
		return
	}
	if h.Revision != "" && o.Session != "" {
		b.session(o.Session).revision = clip(h.Revision)
	}
	ops := b.pend.ofExchange(o.Exchange)
	if len(ops) == 0 {
		return
	}
	if h.NewSession != "" { // initialize: the session its answer creates
		for _, c := range ops {
			c.span.SetAttributes(attribute.String(attrSession, clip(h.NewSession)))
		}
	}
	var kind, why string
	switch {
	case h.Error == clientLeft:
		kind, why = errClientLeft, h.Error
	case h.Error != "":
		kind, why = errHTTP, h.Error
	case h.Status >= 400 && !carriesMessages(h.ContentType):
		kind, why = errHTTP, "upstream answered HTTP "+itoa(int64(h.Status))
	default:
		return
	}
	for _, c := range append([]*op(nil), ops...) {
		b.pend.remove(c)
		c.span.SetAttributes(attribute.String("http.response.status_code", itoa(int64(h.Status))))
		b.fail(c, o.Time, kind, why)
	}
}

// clientLeft is the error of an exchange whose client disconnected before
// the upstream's headers (proxy/upstream.go).
const clientLeft = "client disconnected before the upstream answered"

func carriesMessages(contentType string) bool {
	ct := strings.ToLower(contentType)
	return strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "text/event-stream")
}

// streamClosed fails the operations a stream was to answer when it closed
// before their answers. (A 2025 client may resume the stream and get the
// answer later; the span has ended by then, and that answer is not
// joined to it.)
func (b *Builder) streamClosed(o *proxy.Observation) {
	ops := b.pend.ofExchange(o.Exchange)
	if len(ops) == 0 {
		return
	}
	why := "stream closed before the answer"
	if o.Reason != "" {
		why += ": " + o.Reason
	}
	for _, c := range append([]*op(nil), ops...) {
		b.pend.remove(c)
		b.fail(c, o.Time, errStreamClosed, why)
	}
}

func (b *Builder) message(o *proxy.Observation) {
	switch o.Kind {
	case proxy.KindRequest:
		b.request(o)
	case proxy.KindResult, proxy.KindError:
		b.answer(o)
	case proxy.KindNotification:
		b.notification(o)
	default:
		if o.Type == proxy.TypeSSEEvent { // a comment, an event without a message
			b.sseEvent(o, b.pend.ofExchange(o.Exchange))
		}
	}
}

func (b *Builder) request(o *proxy.Observation) {
	if o.Seq == 0 {
		return // not from a bus (a hand-made recording): no answer could name it
	}
	if _, dup := b.pend.bySeq[o.Seq]; dup {
		return
	}
	if b.pend.full() {
		old := b.pend.oldest()
		b.pend.remove(old)
		b.fail(old, o.Time, errUnanswered, "mcpscope stopped waiting: too many requests pending")
	}
	ctx := parentOf(context.Background(), o.Body)
	if b.Propagator != nil && o.Direction == proxy.ClientToServer && o.Exchange != "" && len(o.ID) > 0 {
		tid, sid := b.Propagator.ids(o.Exchange, string(o.ID), trace.SpanContextFromContext(ctx))
		ctx = context.WithValue(ctx, fixedIDsKey{}, fixedIDs{trace: tid, span: sid})
	}
	name, attrs := b.requestAttributes(o)
	_, span := b.tracer.Start(ctx, name, trace.WithTimestamp(o.Time), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	c := &op{span: span, seq: o.Seq, session: strings.Clone(o.Session), exchange: strings.Clone(o.Exchange),
		method: clip(o.Method), started: o.Time}
	if len(o.ID) > 0 && len(o.ID) <= maxValue {
		c.idKey = idKey(c.session, o.Direction, strings.Clone(string(o.ID)))
	}
	if t := gjson.Get(o.Body, "params._meta.progressToken"); t.Exists() && len(t.Raw) <= maxValue {
		c.tokenKey = c.session + "\x00" + strings.Clone(t.Raw)
	}
	if o.Decision != nil && o.Decision.Action != "" {
		span.SetAttributes(attribute.String("mcpscope.rule.action", clip(o.Decision.Action)))
	}
	b.pend.add(c)
}

func (b *Builder) answer(o *proxy.Observation) {
	c := b.pend.take(o.RequestSeq)
	if c == nil {
		return // an answer to a request not seen (before the start, dropped, or already ended)
	}
	if o.Type == proxy.TypeSSEEvent {
		b.sseEvent(o, []*op{c})
	}
	b.setProtocolVersion(c, o)
	switch {
	case o.Kind == proxy.KindError:
		code := gjson.Get(o.Body, "error.code").Raw
		msg := gjson.Get(o.Body, "error.message").String()
		if code == "" {
			code = "_OTHER"
		}
		c.span.SetAttributes(attribute.String(attrStatusCode, clip(code)), attribute.String(attrErrorType, clip(code)))
		c.span.SetStatus(codes.Error, b.text(msg))
	case c.method == "tools/call" && strings.Contains(o.Body, `"isError"`) && gjson.Get(o.Body, "result.isError").Bool():
		c.span.SetAttributes(attribute.String(attrErrorType, errToolError))
		c.span.SetStatus(codes.Error, errToolError)
	}
	b.end(c, o.Time)
}

// setProtocolVersion sets mcp.protocol.version from an initialize result,
// else from what the session's exchanges said.
func (b *Builder) setProtocolVersion(c *op, o *proxy.Observation) {
	if c.method == "initialize" && o.Kind == proxy.KindResult {
		if v := gjson.Get(o.Body, "result.protocolVersion").String(); v != "" {
			v = clip(v)
			if c.session != "" {
				b.session(c.session).revision = v
			}
			c.span.SetAttributes(attribute.String(attrProtocolVersion, v))
			return
		}
	}
	if s := b.sessions[c.session]; s != nil {
		if s.revision != "" {
			c.span.SetAttributes(attribute.String(attrProtocolVersion, s.revision))
		}
		if s.upstream != "" {
			c.span.SetAttributes(attribute.String(attrUpstreamSession, s.upstream))
		}
	}
}

func (b *Builder) notification(o *proxy.Observation) {
	var targets []*op
	switch o.Method {
	case "notifications/progress":
		if t := gjson.Get(o.Body, "params.progressToken"); t.Exists() {
			if c := b.pend.byToken[o.Session+"\x00"+t.Raw]; c != nil {
				targets = []*op{c}
			}
		}
	case "notifications/cancelled":
		id := gjson.Get(o.Body, "params.requestId").Raw
		if c := b.pend.byID[idKey(o.Session, o.Direction, id)]; c != nil {
			b.pend.remove(c)
			reason := gjson.Get(o.Body, "params.reason").String()
			c.span.AddEvent(o.Method, trace.WithTimestamp(o.Time), trace.WithAttributes(attribute.String(attrReason, b.text(reason))))
			why := "cancelled"
			if reason != "" {
				why += ": " + reason
			}
			b.fail(c, o.Time, errCancelled, why)
			return
		}
	}
	if targets == nil && o.Type == proxy.TypeSSEEvent {
		targets = b.pend.ofExchange(o.Exchange) // a notification on the stream that answers a request
	}
	if len(targets) > 0 {
		if o.Type == proxy.TypeSSEEvent && o.Exchange != "" {
			b.sseEvent(o, targets)
		} else {
			for _, c := range targets {
				c.span.AddEvent(clip(o.Method), trace.WithTimestamp(o.Time), trace.WithAttributes(b.notificationAttributes(o)...))
			}
		}
		return
	}
	// A notification of its own: a span of no duration.
	_, attrs := b.requestAttributes(o)
	_, span := b.tracer.Start(parentOf(context.Background(), o.Body), clip(o.Method), trace.WithTimestamp(o.Time),
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	b.spans++
	span.End(trace.WithTimestamp(o.Time))
}

// sseEvent adds an SSE event (and the message it carries) to the spans of
// targets, as an event named after the message's method ("sse_event" for
// an answer, or an event with no message).
func (b *Builder) sseEvent(o *proxy.Observation, targets []*op) {
	if len(targets) == 0 {
		return
	}
	name := "sse_event"
	if o.Kind == proxy.KindNotification || o.Kind == proxy.KindRequest {
		name = clip(o.Method)
	}
	attrs := []attribute.KeyValue{attribute.Int(attrSize, o.Size)}
	if o.HasID {
		attrs = append(attrs, attribute.String(attrEventID, clip(o.EventID)))
	}
	if o.EventType != "" {
		attrs = append(attrs, attribute.String(attrEventType, clip(o.EventType)))
	}
	if o.Method == "notifications/progress" {
		attrs = append(attrs[:0], b.notificationAttributes(o)...) // within the per-event limit: progress says more than the framing
	}
	for _, c := range targets {
		c.span.AddEvent(name, trace.WithTimestamp(o.Time), trace.WithAttributes(attrs...))
	}
}

// end ends c's span at t.
func (b *Builder) end(c *op, t time.Time) {
	b.spans++
	c.span.End(trace.WithTimestamp(t))
}

// text returns s redacted (Redact) and clipped.
func (b *Builder) text(s string) string {
	if b.Redact != nil && s != "" {
		s = b.Redact(s)
	}
	return clip(s)
}

// fail ends c's span at t with status Error.
func (b *Builder) fail(c *op, t time.Time, kind, why string) {
	if t.Before(c.started) {
		t = c.started
	}
	c.span.SetAttributes(attribute.String(attrErrorType, kind))
	c.span.SetStatus(codes.Error, b.text(why))
	b.end(c, t)
}
