package proxy

import (
	"github.com/mcpscope/mcpscope/jsonrpc"

	"strings"
	"sync"
	"time"
)

// describeMessage fills o's message fields from one JSON-RPC message text
// and, for a result or error, links it to the request it answers.
// wellFormed is false when the text around the message (its batch) is not
// valid JSON: the message is then flagged invalid too.
func (p *Proxy) describeMessage(o *Observation, text, scope string, wellFormed bool) jsonrpc.Envelope {
	env := jsonrpc.Read(text)
	if !wellFormed {
		env.Kind = KindInvalid
	}
	o.Kind, o.Method, o.Body = env.Kind, env.Method, text
	o.ID = RawJSON(env.ID)
	if env.Kind == KindInvalid {
		o.Flags = append(o.Flags, "invalid_json")
	}
	p.linkAnswer(o, env, scope)
	if o.Method == "tools/list" && env.Kind == KindResult && o.Direction == ServerToClient {
		p.toolHeaders.learn(text) // for the Mcp-Param-* headers of edited requests (mcpheaders.go)
	}
	p.ops.note(o, text, scope)
	return env
}

// linkAnswer links o, if env is a result or an error with an id, to the
// request it answers (noted by noteRequest): the request's method and seq,
// and the latency.
func (p *Proxy) linkAnswer(o *Observation, env jsonrpc.Envelope, scope string) {
	if (env.Kind == KindResult || env.Kind == KindError) && env.ID != "" {
		if req, ok := p.corr.answer(scope, opposite(o.Direction), env.ID); ok {
			o.Method, o.RequestSeq, o.Latency = req.method, req.seq, time.Since(req.at)
			o.Operation, o.Round, o.opKey, o.Tool = req.op.op, req.op.round, req.op.key, req.op.tool
			if req.resent {
				markResent(o, req.resentFrom)
			}
		}
	}
}

// noteRequest remembers a published request so its answer can be linked.
func (p *Proxy) noteRequest(o *Observation, env jsonrpc.Envelope, scope string) {
	if env.Kind == KindRequest { // the method may borrow a lease's bytes: the correlator keeps a copy
		p.corr.ask(scope, o.Direction, env.ID, pendingRequest{seq: o.Seq, method: strings.Clone(env.Method), at: o.Time,
			op: opRef{op: o.Operation, round: o.Round, key: o.opKey, tool: o.Tool}, resent: o.Has(FlagResent), resentFrom: o.ResentFrom})
	}
}

// publishMessages publishes one message observation per JSON-RPC message in
// text (several for a batch) and returns the id of the first.
func (p *Proxy) publishMessages(text, scope, stream, exchange string, dir Direction, flags []string) (firstID string) {
	return p.emitMessages(text, scope, stream, exchange, dir, flags, nil, time.Time{}, p.bus().PublishAll)
}

// emitMessages is publishMessages publishing with emit (from deferred
// work, see Bus.Defer), the messages stamped at (when they arrived; the
// zero time stamps them as they are published). text may borrow the bytes
// of l, which the caller holds a reference to until emitMessages returns.
func (p *Proxy) emitMessages(text, scope, stream, exchange string, dir Direction, flags []string, l *lease, at time.Time, emit EmitFunc) (firstID string) {
	msgs, batch, ok := jsonrpc.Split(text)
	for i, m := range msgs {
		o := &Observation{Type: TypeMessage, Time: at, Session: scope, Stream: stream, Exchange: exchange, Direction: dir, Batch: batch, Flags: flags, lease: l}
		env := p.describeMessage(o, m, scope, ok)
		if i == 0 {
			firstID = env.ID
		}
		emit([]*Observation{o})
		p.noteRequest(o, env, scope)
	}
	return firstID
}

func opposite(d Direction) Direction {
	if d == ClientToServer {
		return ServerToClient
	}
	return ClientToServer
}

// correlator links answers to requests per session and direction. It holds
// at most maxPendingRequests entries; past that an arbitrary old entry is
// forgotten (its answer then shows no link).
type correlator struct {
	mu      sync.Mutex
	pending map[string]pendingRequest
}

type pendingRequest struct {
	seq    uint64
	method string
	at     time.Time
	op     opRef // the request's operation, for its answer (operations.go)
	// resent says the request is one mcpscope re-sent (resend.go), whose
	// answer is marked so too.
	resent     bool
	resentFrom uint64
}

const maxPendingRequests = 1 << 16

func correlationKey(scope string, d Direction, id string) string {
	return scope + "\x00" + string(d) + "\x00" + id
}

func (c *correlator) ask(scope string, d Direction, id string, req pendingRequest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = make(map[string]pendingRequest)
	}
	if len(c.pending) >= maxPendingRequests {
		for k := range c.pending {
			delete(c.pending, k)
			break
		}
	}
	c.pending[correlationKey(scope, d, id)] = req
}

func (c *correlator) answer(scope string, d Direction, id string) (pendingRequest, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := correlationKey(scope, d, id)
	req, ok := c.pending[k]
	if ok {
		delete(c.pending, k)
	}
	return req, ok
}
