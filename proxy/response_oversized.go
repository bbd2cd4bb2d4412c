package proxy

import (
	"strings"

	"github.com/mcpscope/mcpscope/jsonrpc"
)

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
	env := jsonrpc.ReadPrefix(string(prefix))
	// Copies: the envelope's strings would keep the whole scanned prefix alive.
	o := &Observation{Type: TypeMessage, Session: ex.scope, Exchange: ex.id, Direction: ServerToClient,
		Kind: env.Kind, Method: strings.Clone(env.Method), ID: RawJSON(strings.Clone(env.ID)), Size: int(size), Flags: flagsOversized}
	p.linkAnswer(o, env, ex.scope)
	p.bus().Publish(o)
}
