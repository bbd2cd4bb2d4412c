package otlp

import (
	"context"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcpscope/mcpscope/proxy"
)

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
	b.count(span)
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
