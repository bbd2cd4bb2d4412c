package proxy

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// Protocol revisions. Each exchange records the MCP revision it speaks
// (exchange.revision, HTTPExchange.Revision): the request's
// Mcp-Protocol-Version header, else its _meta protocol version (2026-07-28
// puts one on every request), else the version of the session it names.
// From 2026-07-28 on, the protocol has no sessions and no resumable
// streams, and closing a stream cancels its request: mcpscope then mints
// no event ids, keeps no replay log, does not drain, ignores Last-Event-ID
// and leaves a stray Mcp-Session-Id alone, and the answers it makes in the
// server's place carry what that revision requires.

// firstModernRevision is the first revision without sessions or
// resumption.
const firstModernRevision = "2026-07-28"

// metaProtocolVersion is the _meta key that carries a request's revision
// from 2026-07-28 on.
const metaProtocolVersion = "io.modelcontextprotocol/protocolVersion"

// modernRevision reports whether v (a YYYY-MM-DD revision) is 2026-07-28 or
// later. Anything else, the empty string included, is not.
func modernRevision(v string) bool {
	if len(v) != len(firstModernRevision) || v[4] != '-' || v[7] != '-' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if i != 4 && i != 7 && (v[i] < '0' || v[i] > '9') {
			return false
		}
	}
	return v >= firstModernRevision
}

// requestRevision returns the revision a request states itself: its
// Mcp-Protocol-Version header, else its body's _meta protocol version
// ("" when it states none). The body is decoded only when it names that
// key, so traffic that states its revision in the header costs a header
// lookup.
func requestRevision(r *http.Request, body []byte) string {
	if v := r.Header.Get("Mcp-Protocol-Version"); v != "" {
		return v
	}
	return bodyRevision(body)
}

// bodyRevision returns the _meta protocol version a message states ("" if
// none); it decodes body only when body names that key.
func bodyRevision(body []byte) string {
	if !bytes.Contains(body, []byte(metaProtocolVersion)) {
		return ""
	}
	var msg struct {
		Params struct {
			Meta map[string]json.RawMessage `json:"_meta"`
		} `json:"params"`
	}
	if json.Unmarshal(body, &msg) != nil {
		return ""
	}
	var v string
	_ = json.Unmarshal(msg.Params.Meta[metaProtocolVersion], &v)
	return v
}

// ModernRevision is modernRevision, for the packages that serve MCP
// themselves (replay).
func ModernRevision(v string) bool { return modernRevision(v) }

// RequestRevision is requestRevision, for the same.
func RequestRevision(r *http.Request, body []byte) string { return requestRevision(r, body) }
