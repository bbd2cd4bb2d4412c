package stdio

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/mcpscope/mcpscope/jsonrpc"
)

// pending is the client's requests sent to the server and not yet
// answered, so that a server that exits mid-call leaves no request
// unanswered.
type pending struct {
	mu  sync.Mutex
	ids map[string]uint64 // the id's JSON text → order sent
	seq uint64
	n   atomic.Int64
}

// sent notes the requests in a line written to the server's stdin.
func (p *pending) sent(line []byte) {
	each(line, func(env jsonrpc.Envelope) {
		if env.Kind != jsonrpc.Request || env.ID == "" {
			return
		}
		p.mu.Lock()
		if p.ids == nil {
			p.ids = map[string]uint64{}
		}
		p.seq++
		p.ids[strings.Clone(env.ID)] = p.seq
		p.n.Store(int64(len(p.ids)))
		p.mu.Unlock()
	})
}

// answered forgets the requests a line written to the client answers.
func (p *pending) answered(line []byte) {
	if p.n.Load() == 0 {
		return // the common case of a flood of notifications: no scan
	}
	each(line, func(env jsonrpc.Envelope) {
		if (env.Kind != jsonrpc.Result && env.Kind != jsonrpc.Error) || env.ID == "" {
			return
		}
		p.mu.Lock()
		delete(p.ids, env.ID)
		p.n.Store(int64(len(p.ids)))
		p.mu.Unlock()
	})
}

// answeredPrefix forgets the request a line too long to read whole
// answers, from its first bytes.
func (p *pending) answeredPrefix(head []byte) {
	if p.n.Load() == 0 || len(head) == 0 {
		return
	}
	env := jsonrpc.ReadPrefix(string(head))
	if (env.Kind == jsonrpc.Result || env.Kind == jsonrpc.Error) && env.ID != "" {
		p.mu.Lock()
		delete(p.ids, env.ID)
		p.n.Store(int64(len(p.ids)))
		p.mu.Unlock()
	}
}

// errors returns a JSON-RPC error answering each pending request, in the
// order they were sent, and forgets them.
func (p *pending) errors(message string) [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]string, 0, len(p.ids))
	for id := range p.ids {
		ids = append(ids, id)
	}
	seq := p.ids
	slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(seq[a], seq[b]) })
	p.ids = nil
	p.n.Store(0)
	out := make([][]byte, len(ids))
	for i, id := range ids {
		out[i] = errorLine(id, message)
	}
	return out
}

// errorLine is a JSON-RPC error answering the request with id (its JSON
// text).
func errorLine(id, message string) []byte {
	msg, _ := json.Marshal(message)
	return []byte(`{"jsonrpc":"2.0","id":` + id + `,"error":{"code":-32603,"message":` + string(msg) + `}}`)
}

// each reads the message, or each message of a batch, in line.
func each(line []byte, f func(jsonrpc.Envelope)) {
	if len(line) == 0 {
		return
	}
	text := unsafe.String(&line[0], len(line)) // read only, not kept: IDs are cloned
	if jsonrpc.IsBatch(text) {
		msgs, _, _ := jsonrpc.Split(text)
		for _, m := range msgs {
			f(jsonrpc.Read(m))
		}
		return
	}
	f(jsonrpc.Read(text))
}
