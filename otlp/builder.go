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

// Spans returns how many spans the builder ended so far (sampled ones: a
// client's traceparent with the sampled flag off makes spans nobody sends).
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
	if !trace.SpanContextFromContext(ctx).IsValid() && o.Direction == proxy.ServerToClient {
		// A server's request (sampling, elicitation) on the stream that
		// answers a client's request is part of that operation: its child.
		if ops := b.pend.ofExchange(o.Exchange); len(ops) == 1 {
			ctx = trace.ContextWithSpan(ctx, ops[0].span)
		}
	}
	if b.Propagator != nil && o.Direction == proxy.ClientToServer && o.Exchange != "" && len(o.ID) > 0 {
		tid, sid := b.Propagator.ids(o.Exchange, string(o.ID), trace.SpanContextFromContext(ctx))
		ctx = context.WithValue(ctx, fixedIDsKey{}, fixedIDs{trace: tid, span: sid})
	}
	name, attrs := b.requestAttributes(o)
	_, span := b.tracer.Start(ctx, name, trace.WithTimestamp(o.Time), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	c := &op{span: span, seq: o.Seq, session: strings.Clone(o.Session), method: clip(o.Method), started: o.Time}
	if o.Direction == proxy.ClientToServer {
		// A server's request is answered on another exchange (the client's
		// POST): the end of the stream that carried it ends nothing.
		c.exchange = strings.Clone(o.Exchange)
	}
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
	if c == nil && o.RequestSeq == 0 && len(o.ID) > 0 {
		// The proxy pairs the server's answers with the client's requests;
		// a client's answer to a server's request is paired here, by id.
		asked := proxy.ServerToClient
		if o.Direction == proxy.ServerToClient {
			asked = proxy.ClientToServer
		}
		if c = b.pend.byID[idKey(o.Session, asked, string(o.ID))]; c != nil {
			b.pend.remove(c)
		}
	}
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

// end ends c's span at t.
func (b *Builder) end(c *op, t time.Time) {
	b.count(c.span)
	c.span.End(trace.WithTimestamp(t))
}

// count counts a span about to end, if it is sampled (a client's
// traceparent may say not to: such a span is never exported, so not lost).
func (b *Builder) count(s trace.Span) {
	if s.SpanContext().IsSampled() {
		b.spans++
	}
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
