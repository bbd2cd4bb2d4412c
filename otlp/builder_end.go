package otlp

import (
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/mcpscope/mcpscope/proxy"
)

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
	attrs := serverAddress(h.URL)
	if h.NewSession != "" { // initialize: the session its answer creates
		attrs = append(attrs, attribute.String(attrSession, clip(h.NewSession)))
	}
	for _, c := range ops {
		c.span.SetAttributes(attrs...)
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

// serverAddress returns server.address and server.port of the upstream
// an exchange went to (the conventions' client span attributes).
func serverAddress(raw string) []attribute.KeyValue {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	attrs := []attribute.KeyValue{attribute.String(attrServerAddress, clip(u.Hostname()))}
	port := u.Port()
	switch {
	case port == "" && u.Scheme == "https":
		port = "443"
	case port == "":
		port = "80"
	}
	if n, err := strconv.Atoi(port); err == nil {
		attrs = append(attrs, attribute.Int(attrServerPort, n))
	}
	return attrs
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
