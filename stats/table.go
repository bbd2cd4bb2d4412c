package stats

import (
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mcpscope/mcpscope/proxy"
)

// Options configure a Table. The zero value is ready to use.
type Options struct {
	// HungAfter is how long a pending call may go without a sign of life
	// (its request, or its last progress notification) before it counts as
	// hung (default 10 s).
	HungAfter time.Duration
	// MaxPending bounds the calls tracked while unanswered (default
	// 4096); past it, calls the client gave up on are forgotten first,
	// then new calls are not tracked (counted in Snapshot.Untracked).
	MaxPending int
}

// Table keeps the figures (see the package doc). Use New.
type Table struct {
	opts      Options
	rows      map[rowKey]*row
	pend      pendingCalls
	ctx       contextCost
	dropped   int64
	last      time.Time // the latest observation's time
	untracked int64
}

type rowKey struct{ method, tool string }

// row is one method's or tool's figures.
type row struct {
	count, answered, errors, toolErrors, cancelled int64
	reqBytes, respBytes                            int64
	pending                                        int
	lat                                            histogram
}

// New returns an empty table.
func New(opts Options) *Table {
	if opts.HungAfter <= 0 {
		opts.HungAfter = 10 * time.Second
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 4096
	}
	return &Table{opts: opts, rows: make(map[rowKey]*row), pend: newPendingCalls(opts.MaxPending)}
}

// Observe takes in one observation; call it for every observation, in
// the order they were published. It keeps none of o's memory.
func (t *Table) Observe(o *proxy.Observation) {
	if o.Time.After(t.last) {
		t.last = o.Time
	}
	switch o.Type {
	case proxy.TypeDropped:
		t.dropped += o.Dropped
	case proxy.TypeHTTP:
		t.http(o)
	case proxy.TypeStreamClosed:
		t.pend.streamClosed(o)
	case proxy.TypeMessage, proxy.TypeSSEEvent:
		switch o.Kind {
		case proxy.KindRequest:
			t.request(o)
		case proxy.KindNotification:
			t.notification(o)
		case proxy.KindResult, proxy.KindError:
			t.answer(o)
		}
	}
}

// size is the message's bytes: its body, or for an oversized message
// forwarded unparsed, the size it was told.
func size(o *proxy.Observation) int64 {
	if o.Body == "" && o.Type == proxy.TypeMessage {
		return int64(o.Size)
	}
	return int64(len(o.Body))
}

// row returns the row of method (and tool), making it if there is room,
// else the row it folds into.
func (t *Table) row(method, tool string) (rowKey, *row) {
	k := rowKey{clip(method), ""}
	if tool != "" {
		k.tool = clip(tool)
	}
	if r, ok := t.rows[k]; ok {
		return k, r
	}
	if len(t.rows) >= MaxKeys {
		if k.tool != "" {
			k.tool = OtherKey
		} else {
			k.method = OtherKey
		}
		if r, ok := t.rows[k]; ok {
			return k, r
		}
	}
	r := &row{}
	k = rowKey{strings.Clone(k.method), strings.Clone(k.tool)} // names may lie in a large message's bytes
	t.rows[k] = r
	return k, r
}

// rowsOf returns the method's row and, if tool is set, the tool's.
func (t *Table) rowsOf(c *call) []*row {
	rs := []*row{t.rows[c.method]}
	if c.tool != (rowKey{}) {
		rs = append(rs, t.rows[c.tool])
	}
	return rs
}

func (t *Table) request(o *proxy.Observation) {
	// The id is copied: it may lie in the bytes of a large message (see
	// Observation.owned), which a pending call would otherwise keep alive.
	// Session, exchange and operation are strings of their own.
	c := &call{seq: o.Seq, session: o.Session, dir: o.Direction, id: strings.Clone(string(o.ID)),
		exchange: o.Exchange, started: o.Time, stream: openStreams[o.Method], op: o.Operation}
	var r *row
	c.method, r = t.row(o.Method, "")
	r.count++
	r.reqBytes += size(o)
	if o.Method == ToolsCall {
		name := gjson.Get(o.Body, "params.name").String()
		if name == "" {
			name = "(no name)"
		}
		var tr *row
		c.tool, tr = t.row(ToolsCall, name)
		tr.count++
		tr.reqBytes += size(o)
	}
	added, forgotten := t.pend.add(c)
	if forgotten != nil { // an ended call, dropped to make room: no longer pending
		for _, r := range t.rowsOf(forgotten) {
			r.pending--
		}
	}
	if !added {
		t.untracked++
		return
	}
	for _, r := range t.rowsOf(c) {
		r.pending++
	}
}

func (t *Table) notification(o *proxy.Observation) {
	_, r := t.row(o.Method, "")
	r.count++
	r.reqBytes += size(o)
	if o.Operation != "" { // progress of a call (proxy/operations.go)
		t.pend.alive(o.Operation, o.Time)
	}
	if o.Method == "notifications/cancelled" {
		id := gjson.Get(o.Body, "params.requestId").Raw
		if c := t.pend.cancel(o.Session, o.Direction, id); c != nil {
			for _, r := range t.rowsOf(c) {
				r.pending--
				r.cancelled++
			}
		}
	}
}

func (t *Table) answer(o *proxy.Observation) {
	c := t.pend.answered(o.RequestSeq)
	var rs []*row
	var tool string
	switch {
	case c != nil:
		rs = t.rowsOf(c)
		for _, r := range rs {
			r.pending--
		}
		tool = c.tool.tool
	case o.Method != "":
		_, r := t.row(o.Method, "")
		rs = []*row{r}
	default:
		return // an answer to nothing known
	}
	latency := o.Latency
	if latency <= 0 && c != nil && !c.started.IsZero() && !o.Time.IsZero() {
		latency = o.Time.Sub(c.started)
	}
	n := size(o)
	toolError := o.Kind == proxy.KindResult && o.Method == ToolsCall &&
		strings.Contains(o.Body, `"isError"`) && gjson.Get(o.Body, "result.isError").Bool() // the search is cheaper than the parse
	for _, r := range rs {
		r.answered++
		r.respBytes += n
		if o.RequestSeq != 0 || c != nil {
			r.lat.add(latency)
		}
		if o.Kind == proxy.KindError {
			r.errors++
		}
		if toolError {
			r.toolErrors++
		}
	}
	if o.Kind == proxy.KindResult && o.Direction == proxy.ServerToClient {
		switch o.Method {
		case "tools/list":
			t.ctx.learn(o.Body)
		case ToolsCall:
			if tool != "" {
				t.ctx.result(tool, n)
			}
		}
	}
}

// http fails the calls of an exchange that failed without an answer the
// client can read: the upstream was not reached (or refused), or its
// status is an error whose body is not JSON-RPC (not JSON, not SSE).
func (t *Table) http(o *proxy.Observation) {
	h := o.HTTP
	if h == nil || o.Exchange == "" {
		return
	}
	if h.Error != "" && h.Error == clientLeft {
		t.pend.end(o.Exchange, o.Time, "client left before the upstream answered")
		return
	}
	failed := h.Error != "" || (h.Status >= 400 && !carriesMessages(h.ContentType))
	if !failed {
		return
	}
	for _, c := range t.pend.failExchange(o.Exchange) {
		for _, r := range t.rowsOf(c) {
			r.pending--
			r.errors++
		}
	}
}

// clientLeft is the error of an exchange whose client disconnected before
// the upstream's headers (proxy/upstream.go): the call is abandoned, not
// failed, and its server may still be working.
const clientLeft = "client disconnected before the upstream answered"

func carriesMessages(contentType string) bool {
	return hasPrefixFold(contentType, "application/json") || hasPrefixFold(contentType, "text/event-stream")
}

func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		a, b := s[i], prefix[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}
