package otlp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"strconv"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
	"go.opentelemetry.io/otel/trace"
)

// Propagator writes mcpscope's trace context into the requests a client
// sends upstream (--otlp-propagate), so that the server's spans are
// children of mcpscope's: params._meta.traceparent is set (W3C, version
// 00) to the trace of the client's traceparent, or a new one, and the
// span id of mcpscope's span for that request. This changes the bytes
// sent upstream, which mcpscope otherwise never does: it is off unless
// asked for. tracestate is left as the client sent it.
//
// The data path and the builder never talk: both derive the span id from
// the exchange and the request's JSON-RPC id, keyed with a secret of the
// process (so ids are unguessable and differ between runs). A rule that
// changes a request's id breaks the link (the server's parent is then a
// span nobody sent). A Propagator is safe for concurrent use.
type Propagator struct {
	key [32]byte
}

// NewPropagator returns a propagator with a fresh random key.
func NewPropagator() *Propagator {
	p := &Propagator{}
	rand.Read(p.key[:])
	return p
}

// Rewrite returns body with params._meta.traceparent set in each request
// it holds (a message with a method and an id; in a batch, each such
// element), exchange being the id of the exchange the body's observations
// name. Notifications, answers, and requests whose params are not an
// object are left alone; so is a body that is not JSON. The rest of the
// bytes are kept as they are (sjson edits in place).
func (p *Propagator) Rewrite(exchange string, body []byte) []byte {
	v := gjson.ParseBytes(body)
	switch {
	case v.IsObject():
		if tp, ok := p.traceparent(exchange, v); ok {
			body = set(body, "params._meta.traceparent", tp)
		}
	case v.IsArray():
		for i, el := range v.Array() {
			if tp, ok := p.traceparent(exchange, el); ok {
				body = set(body, strconv.Itoa(i)+".params._meta.traceparent", tp)
			}
		}
	}
	return body
}

func set(body []byte, path, value string) []byte {
	out, err := sjson.SetBytes(body, path, value)
	if err != nil {
		return body
	}
	return out
}

// traceparent returns the traceparent to write into message m, if it is a
// request to write one into.
func (p *Propagator) traceparent(exchange string, m gjson.Result) (string, bool) {
	id := m.Get("id")
	params := m.Get("params")
	if m.Get("method").Type != gjson.String || !id.Exists() || id.Type == gjson.Null || params.Exists() && !params.IsObject() {
		return "", false
	}
	parent := trace.SpanContextFromContext(parentOf(context.Background(), m.Raw))
	tid, sid := p.ids(exchange, id.Raw, parent)
	flags := trace.FlagsSampled
	if parent.IsValid() {
		flags = parent.TraceFlags()
	}
	return "00-" + tid.String() + "-" + sid.String() + "-" + flags.String(), true
}

// ids returns the trace and span ids of mcpscope's span for the request
// of raw id in exchange: the parent's trace, or one derived likewise.
func (p *Propagator) ids(exchange, rawID string, parent trace.SpanContext) (trace.TraceID, trace.SpanID) {
	mac := hmac.New(sha256.New, p.key[:])
	mac.Write([]byte(exchange + "\x00" + rawID))
	sum := mac.Sum(nil)
	var tid trace.TraceID
	var sid trace.SpanID
	copy(sid[:], sum[:8])
	copy(tid[:], sum[8:24])
	if sid == (trace.SpanID{}) {
		sid[7] = 1
	}
	if parent.IsValid() {
		tid = parent.TraceID()
	}
	return tid, sid
}

// fixedIDs are the ids a span is to have (see idGenerator).
type fixedIDs struct {
	trace trace.TraceID
	span  trace.SpanID
}

type fixedIDsKey struct{}

// idGenerator gives a span the ids its context names (what the data path
// wrote upstream, see Propagator), else random ones.
type idGenerator struct{}

func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if f, ok := ctx.Value(fixedIDsKey{}).(fixedIDs); ok {
		return f.trace, f.span
	}
	var tid trace.TraceID
	var sid trace.SpanID
	rand.Read(tid[:])
	rand.Read(sid[:])
	return tid, sid
}

func (idGenerator) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	if f, ok := ctx.Value(fixedIDsKey{}).(fixedIDs); ok {
		return f.span
	}
	var sid trace.SpanID
	rand.Read(sid[:])
	return sid
}
