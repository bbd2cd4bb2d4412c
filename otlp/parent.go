package otlp

import (
	"context"
	"strings"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// metaKey is where a request carries its trace context: W3C traceparent
// and tracestate in params._meta, as the semantic conventions for MCP
// recommend ("Context propagation").
const metaKey = "params._meta"

// parentOf returns ctx with the remote span context the message body names
// in params._meta.traceparent (and tracestate), so that the span started
// from it is the child of the sender's span; ctx unchanged when there is
// none or it does not parse. It is cheap when the body names none: one
// substring search.
func parentOf(ctx context.Context, body string) context.Context {
	if !strings.Contains(body, "traceparent") {
		return ctx
	}
	meta := gjson.Get(body, metaKey)
	if !meta.IsObject() {
		return ctx
	}
	carrier := propagation.MapCarrier{}
	if tp := meta.Get("traceparent"); tp.Type == gjson.String {
		carrier["traceparent"] = tp.String()
	}
	if ts := meta.Get("tracestate"); ts.Type == gjson.String {
		carrier["tracestate"] = ts.String()
	}
	if carrier["traceparent"] == "" {
		return ctx
	}
	ctx = propagation.TraceContext{}.Extract(ctx, carrier)
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return context.Background()
	}
	return ctx
}
