package checks

import (
	"encoding/base64"
	"mime"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/mcpscope/mcpscope/proxy"
)

// noteExchange notes what a client's message tells about its HTTP
// exchange, for the checks of the http observation that follows it.
func (c *Checker) noteExchange(o *proxy.Observation, rev string) {
	if o.Exchange == "" || o.Direction != proxy.ClientToServer || o.Type != proxy.TypeMessage {
		return
	}
	ex := c.exchanges[o.Exchange]
	if ex == nil {
		if len(c.exchanges) >= maxExchanges {
			evictOne(c.exchanges)
		}
		ex = &exchange{}
		c.exchanges[strings.Clone(o.Exchange)] = ex
	}
	if o.Kind != proxy.KindRequest {
		ex.others++
		return
	}
	ex.requests++
	if ex.requests > 1 {
		return
	}
	ex.method = shown(o.Method)
	if !modern(rev) {
		return
	}
	path := ""
	switch o.Method {
	case "tools/call", "prompts/get":
		path = "params.name"
	case "resources/read":
		path = "params.uri"
	}
	if path != "" {
		if v := gjson.Get(o.Body, path); v.Type == gjson.String {
			ex.name, ex.nameOK = strings.Clone(v.String()), true
		}
	}
}

// http checks an HTTP exchange once its response headers are in: the
// content type of the answer, and (2026-07-28) the headers mirroring the
// body.
func (c *Checker) http(o *proxy.Observation, report func(*proxy.Observation)) {
	h := o.HTTP
	ex := c.exchanges[o.Exchange]
	delete(c.exchanges, o.Exchange)
	rev := h.Revision
	if rev == "" {
		if s, ok := c.sessions[lookup(o.Session)]; ok {
			rev = s.revision
		}
	}
	if rev != "" && o.Exchange != "" {
		if len(c.revisions) >= maxExchanges {
			evictOne(c.revisions)
		}
		c.revisions[strings.Clone(o.Exchange)] = strings.Clone(rev)
	}
	if h.NewSession != "" && o.Exchange != "" {
		if len(c.born) >= maxExchanges {
			evictOne(c.born)
		}
		c.born[strings.Clone(o.Exchange)] = key(h.NewSession)
	}
	if _, resumes := header(h.RequestHeaders, "Last-Event-ID"); resumes && o.Exchange != "" {
		if len(c.replays) >= maxExchanges {
			evictOne(c.replays)
		}
		c.replays[strings.Clone(o.Exchange)] = true
	}
	if h.Error != "" {
		return
	}
	if RuleByID(RuleContentType).appliesTo(rev) && rev != "" {
		if msg := contentTypeFault(h, ex); msg != "" {
			c.report(contextOf(o, rev), RuleContentType, msg, report)
		}
	}
	if modern(rev) && ex != nil && ex.requests == 1 {
		c.headers(o, h, ex, rev, report)
	}
}

// contentTypeFault says what is wrong with the answer's status and
// content type, "" when nothing.
func contentTypeFault(h *proxy.HTTPExchange, ex *exchange) string {
	if h.Status < 200 || h.Status > 299 {
		return ""
	}
	mt, _, _ := mime.ParseMediaType(h.ContentType)
	switch {
	case h.Method == "GET":
		if mt != "text/event-stream" {
			return "GET answered " + itoa(h.Status) + " " + quoteType(h.ContentType) + ", not text/event-stream"
		}
	case h.Method != "POST" || ex == nil:
	case ex.requests > 0:
		if h.Status == 202 || mt != "application/json" && mt != "text/event-stream" {
			return "a POST carrying " + ex.method + " answered " + itoa(h.Status) + " " + quoteType(h.ContentType) + ", not application/json or text/event-stream"
		}
	case ex.others > 0 && h.Status != 202:
		return "a POST carrying only notifications or responses answered " + itoa(h.Status) + ", not 202 Accepted"
	}
	return ""
}

func quoteType(ct string) string {
	if ct == "" {
		return "with no Content-Type"
	}
	return shown(ct)
}

func itoa(n int) string {
	if n < 0 || n > 999 {
		return "?"
	}
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

// headers checks Mcp-Method and Mcp-Name against the body (2026-07-28).
func (c *Checker) headers(o *proxy.Observation, h *proxy.HTTPExchange, ex *exchange, rev string, report func(*proxy.Observation)) {
	if v, ok := header(h.RequestHeaders, "Mcp-Method"); ok && v != ex.method {
		c.report(contextOf(o, rev), RuleHeaderMismatch, "Mcp-Method "+shown(v)+" but the body's method is "+ex.method, report)
	}
	if v, ok := header(h.RequestHeaders, "Mcp-Name"); ok && ex.nameOK && decodeHeader(v) != ex.name {
		msg := "Mcp-Name " + shown(v) + " but the body names " + shown(ex.name)
		if ex.method == "resources/read" { // a URI may carry a credential the recording redacts elsewhere: not repeated here
			msg = "Mcp-Name differs from the body's params.uri"
		}
		c.report(contextOf(o, rev), RuleHeaderMismatch, msg, report)
	}
}

// header returns the first value of a header, matching its name in any
// case (recordings keep names as sent).
func header(hs map[string][]string, name string) (string, bool) {
	if vs, ok := hs[name]; ok && len(vs) > 0 {
		return vs[0], true
	}
	for k, vs := range hs {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0], true
		}
	}
	return "", false
}

// decodeHeader undoes the base64 sentinel of streamable HTTP § Value
// Encoding (=?base64?...?=); other values are as they are.
func decodeHeader(v string) string {
	const prefix, suffix = "=?base64?", "?="
	if strings.HasPrefix(v, prefix) && strings.HasSuffix(v, suffix) && len(v) >= len(prefix)+len(suffix) {
		if b, err := base64.StdEncoding.DecodeString(v[len(prefix) : len(v)-len(suffix)]); err == nil {
			return string(b)
		}
	}
	return v
}

// sseEvent checks that a resumable stream keeps giving ids.
func (c *Checker) sseEvent(o *proxy.Observation, report func(*proxy.Observation)) {
	if o.Stream == "" {
		return
	}
	st := c.streams[o.Stream]
	if o.HasID || o.Retry > 0 {
		if st == nil {
			if len(c.streams) >= maxStreams {
				evictOne(c.streams)
			}
			st = &stream{}
			c.streams[strings.Clone(o.Stream)] = st
		}
		if o.HasID {
			st.resumable = true
			return
		}
	}
	if st == nil || st.reported || o.Has("comment") || !carriesData(o) && o.Retry == 0 {
		return
	}
	s := c.session(o.Session)
	rev := c.revisionOf(o, s)
	if !RuleByID(RuleSSEIDMissing).appliesTo(rev) || rev == "" {
		return
	}
	if !st.resumable {
		st.resumable = true // a retry field without an id: reported once, here
		st.reported = true
		c.report(contextOf(o, rev), RuleSSEIDMissing, "a retry field on a stream none of whose events had an id: the client cannot resume it", report)
		return
	}
	st.reported = true
	c.report(contextOf(o, rev), RuleSSEIDMissing, "an event without an id on a stream whose earlier events had ids: the client cannot resume past it", report)
}

// carriesData reports whether an SSE block carries a message (or data).
func carriesData(o *proxy.Observation) bool {
	return o.Kind != "" || strings.HasPrefix(o.Raw, "data:") || strings.Contains(o.Raw, "\ndata:")
}

// streamClosed forgets a stream; on 2026-07-28 the close cancels the
// request of its exchange (it is then not hung).
func (c *Checker) streamClosed(o *proxy.Observation) {
	delete(c.streams, o.Stream)
	if p := c.exPending[o.Exchange]; p != nil && modern(c.revisions[o.Exchange]) && p.cancelled.IsZero() {
		p.cancelled = o.Time
	}
	delete(c.exPending, o.Exchange)
	delete(c.revisions, o.Exchange)
	delete(c.replays, o.Exchange)
}
