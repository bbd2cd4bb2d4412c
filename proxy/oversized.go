package proxy

import "strings"

// maxPrefixScan bounds how much of an oversized JSON answer is scanned for
// its id and method: they come first in practice, and the rest is piped.
const maxPrefixScan = 64 << 10

// publishOversized tells that the answer to ex was a JSON body too large to
// inspect (size bytes, forwarded unparsed): one message observation flagged
// "oversized", with the id, method and kind its first bytes (prefix) show
// (readEnvelopePrefix), linked to the request it answers.
func (p *Proxy) publishOversized(ex *exchange, prefix []byte, size int64) {
	if !p.bus().Active() {
		return
	}
	if len(prefix) > maxPrefixScan {
		prefix = prefix[:maxPrefixScan]
	}
	env := readEnvelopePrefix(string(prefix))
	// Copies: the envelope's strings would keep the whole scanned prefix alive.
	o := &Observation{Type: TypeMessage, Session: ex.scope, Exchange: ex.id, Direction: ServerToClient,
		Kind: env.kind, Method: strings.Clone(env.method), ID: RawJSON(strings.Clone(env.id)), Size: int(size), Flags: flagsOversized}
	p.linkAnswer(o, env, ex.scope)
	p.bus().Publish(o)
}

// readEnvelopePrefix reads what it can of a JSON-RPC message from its first
// bytes, or of the first message of a batch: the top-level members that end
// within them (id, method), and the kind a "result" or "error" key names
// even when its value goes on past them. The kind is KindInvalid when the
// prefix shows none: it is not a JSON object (or an array of them), or one
// whose method, result or error comes later than the prefix.
func readEnvelopePrefix(s string) envelope {
	e := envelope{kind: KindInvalid}
	i := skipSpace(s, 0)
	if i < len(s) && s[i] == '[' { // a batch: what its first message shows
		i = skipSpace(s, i+1)
	}
	if i >= len(s) || s[i] != '{' {
		return e
	}
	i = skipSpace(s, i+1)
	hasMethod, hasID := false, false
	for i < len(s) && s[i] == '"' {
		kEnd, ok := skipString(s, i)
		if !ok {
			break
		}
		key := s[i:kEnd]
		i = skipSpace(s, kEnd)
		if i >= len(s) || s[i] != ':' {
			break
		}
		switch key {
		case `"result"`:
			e.kind = KindResult
		case `"error"`:
			e.kind = KindError
		}
		vStart := skipSpace(s, i+1)
		vEnd, ok := skipValue(s, vStart, 1)
		if !ok || vEnd >= len(s) { // a number at the end may go on past the prefix
			break
		}
		switch key {
		case `"id"`:
			hasID, e.id = true, s[vStart:vEnd]
		case `"method"`:
			hasMethod, e.method = true, unquote(s[vStart:vEnd])
		}
		if i = skipSpace(s, vEnd); i >= len(s) || s[i] != ',' {
			break
		}
		i = skipSpace(s, i+1)
	}
	if hasMethod {
		e.kind = KindNotification
		if hasID && e.id != "null" {
			e.kind = KindRequest
		}
	}
	return e
}
