package otlp

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/attribute"

	"github.com/mcpscope/mcpscope/proxy"
)

// maxValue bounds every string the builder keeps or puts on a span (the
// same as the span limits' AttributeValueLengthLimit): peers choose them.
const maxValue = 256

// clip returns s cut to maxValue bytes at a rune boundary, as a copy of
// its own (s may borrow the proxy's buffers).
func clip(s string) string {
	if len(s) > maxValue {
		cut := maxValue - len("…")
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.Clone(s)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// sessionless reports whether a session id is mcpscope's name for a client
// connection of sessionless traffic (proxy: "conn-…"), not an MCP session.
func sessionless(id string) bool { return strings.HasPrefix(id, "conn-") }

// requestAttributes returns the span name and start attributes of a
// request (or a notification of its own).
func (b *Builder) requestAttributes(o *proxy.Observation) (string, []attribute.KeyValue) {
	method := clip(o.Method)
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = append(attrs, attribute.String(attrMethod, method), attribute.String(attrDirection, string(o.Direction)))
	if len(o.ID) > 0 {
		attrs = append(attrs, attribute.String(attrRequestID, clip(requestID(string(o.ID)))))
	}
	switch {
	case o.Session == "":
	case sessionless(o.Session):
		attrs = append(attrs, attribute.String(attrConnection, clip(o.Session)))
	default:
		attrs = append(attrs, attribute.String(attrSession, clip(o.Session)))
		if s := b.sessions[o.Session]; s != nil && s.revision != "" {
			attrs = append(attrs, attribute.String(attrProtocolVersion, s.revision))
		}
	}
	if o.Exchange != "" {
		attrs = append(attrs, attribute.String(attrNetTransport, "tcp"), attribute.String(attrNetProtocol, "http"))
	} else {
		attrs = append(attrs, attribute.String(attrNetTransport, "pipe")) // stdio: wrap, the bridge
	}
	if o.Operation != "" {
		attrs = append(attrs, attribute.String(attrOperation, clip(o.Operation)), attribute.Int(attrRound, o.Round))
	}
	name := method
	switch o.Method {
	case "tools/call":
		tool := o.Tool
		if tool == "" {
			tool = gjson.Get(o.Body, "params.name").String()
		}
		if tool != "" {
			tool = clip(tool)
			name += " " + tool
			attrs = append(attrs, attribute.String(attrToolName, tool))
		}
		attrs = append(attrs, attribute.String(attrOperationName, opExecuteTool))
	case "prompts/get":
		if p := gjson.Get(o.Body, "params.name").String(); p != "" {
			p = clip(p)
			name += " " + p
			attrs = append(attrs, attribute.String(attrPromptName, p))
		}
	case "resources/read", "resources/subscribe", "resources/unsubscribe":
		if u := gjson.Get(o.Body, "params.uri").String(); u != "" {
			attrs = append(attrs, attribute.String(attrResourceURI, b.text(u))) // not in the name: high cardinality
		}
	}
	return name, attrs
}

// requestID is the JSON-RPC id as the conventions record it: a string id's
// text, a number's digits.
func requestID(raw string) string {
	if strings.HasPrefix(raw, `"`) {
		return gjson.Parse(raw).String()
	}
	return raw
}

// notificationAttributes are the event attributes of a notification on a
// request's span: a progress notification's progress, total and message.
func (b *Builder) notificationAttributes(o *proxy.Observation) []attribute.KeyValue {
	if o.Method != "notifications/progress" {
		return []attribute.KeyValue{attribute.Int(attrSize, len(o.Body))}
	}
	p := gjson.Get(o.Body, "params")
	attrs := []attribute.KeyValue{attribute.Float64(attrProgress, p.Get("progress").Float())}
	if t := p.Get("total"); t.Exists() {
		attrs = append(attrs, attribute.Float64(attrProgressTotal, t.Float()))
	}
	if m := p.Get("message"); m.Exists() {
		attrs = append(attrs, attribute.String(attrProgressMessage, b.text(m.String())))
	}
	return attrs
}
