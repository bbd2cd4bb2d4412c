package proxy

import (
	"unsafe"

	"github.com/mcpscope/mcpscope/filter"
	"github.com/mcpscope/mcpscope/jsonrpc"
	"github.com/mcpscope/mcpscope/sse"
)

// mayBeJudged reports whether a rule in force may act on block b: whether
// some rule may match its message, by the facts read from the message's
// envelope (direction, kind, method; rules.Set.MayMatch). An event no rule
// can match is observed as if there were no rules: captured on the data
// path, its observation built and published off it (observeLater). It
// mirrors what observe hands to judge: only a single message is judged,
// and an answer's method is its request's, known only once it is linked.
func (s *sseStream) mayBeJudged(b *sse.Block) bool {
	set := s.p.rules.Load()
	if set == nil {
		return false
	}
	if !b.Dispatch || len(b.Data) == 0 || s.legacy != nil && string(b.Event) == "endpoint" {
		return false // no message to judge (capture's describe)
	}
	// The facts only live for the look-up; the index copies what it keeps.
	data := unsafe.String(&b.Data[0], len(b.Data))
	msg, batch, ok := jsonrpc.SingleOrSplit(data)
	if batch > 0 {
		return false // rules do not act inside batches
	}
	env := jsonrpc.Read(msg)
	k := filter.Facts{Direction: string(ServerToClient), Kind: string(env.Kind), Method: env.Method, MethodKnown: true}
	switch {
	case !ok:
		k.Kind = string(KindInvalid)
	case (env.Kind == KindResult || env.Kind == KindError) && env.ID != "":
		k.Method, k.MethodKnown = "", false // linkAnswer may give it its request's
	}
	return set.MayMatch(k)
}
