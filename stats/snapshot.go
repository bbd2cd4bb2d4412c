package stats

import (
	"sort"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// Row is the figures of one method or tool (see Key).
type Row struct {
	Key        string `json:"key"`
	Method     string `json:"method"`
	Tool       string `json:"tool,omitempty"`
	Count      int64  `json:"count"`                 // requests (or notifications) seen
	Answered   int64  `json:"answered"`              // results and errors linked to a request
	Errors     int64  `json:"errors"`                // JSON-RPC errors, and calls whose HTTP exchange failed
	ToolErrors int64  `json:"tool_errors,omitempty"` // tools/call results with isError true
	Cancelled  int64  `json:"cancelled,omitempty"`   // calls ended by notifications/cancelled
	Pending    int    `json:"pending"`               // calls not answered yet (tracked ones)
	ReqBytes   int64  `json:"request_bytes"`         // bytes of the requests (notifications: the messages)
	RespBytes  int64  `json:"response_bytes"`        // bytes of the answers
	// Latency percentiles of the answered calls (0 when none): never below
	// the exact value, at most 1% above it.
	P50  time.Duration `json:"p50_ns"`
	P95  time.Duration `json:"p95_ns"`
	P99  time.Duration `json:"p99_ns"`
	Max  time.Duration `json:"max_ns"`
	Mean time.Duration `json:"mean_ns"`
}

// Call is a request not answered yet.
type Call struct {
	Key     string        `json:"key"` // its tool's row for tools/call, else its method's
	Session string        `json:"session,omitempty"`
	ID      string        `json:"id"`  // JSON-RPC id as sent
	Seq     uint64        `json:"seq"` // the request's observation
	Started time.Time     `json:"started"`
	Age     time.Duration `json:"age_ns"` // until the snapshot, or until it ended
	// Idle is the time since its last sign of life: the request, or its
	// last progress notification (until the snapshot, or until it ended).
	Idle     time.Duration `json:"idle_ns"`
	Progress int           `json:"progress,omitempty"` // progress notifications seen for it
	Hung     bool          `json:"hung"`               // Idle ≥ the table's HungAfter (never for a Stream)
	// Stream is a request that stays open by design, unanswered while its
	// stream serves (a sessionless client's subscriptions/listen).
	Stream bool `json:"stream,omitempty"`
	// Ended says why the wait stopped without an answer (its client left,
	// its stream closed); its age and idle time stop there.
	Ended         string `json:"ended,omitempty"`
	ServerRequest bool   `json:"server_request,omitempty"` // a server→client request (the client owes the answer)
}

// Snapshot is every figure at one moment.
type Snapshot struct {
	At        time.Time     `json:"at"`
	HungAfter time.Duration `json:"hung_after_ns"`
	Rows      []Row         `json:"rows"`
	Pending   []Call        `json:"pending"`             // oldest first
	Untracked int64         `json:"untracked,omitempty"` // requests not tracked (MaxPending reached)
	Dropped   int64         `json:"dropped,omitempty"`   // observations this table missed (a lossy bus feed)
	Context   ContextCost   `json:"context"`
}

// Percentile returns the latency at quantile q (0 < q ≤ 1) of the row
// named key ("tools/call", "tools/call:search"; see Key), and whether
// the row has answered calls. See Row for the precision.
func (t *Table) Percentile(key string, q float64) (time.Duration, bool) {
	m, tool := ParseKey(key)
	r, ok := t.rows[rowKey{m, tool}]
	if !ok || r.lat.n == 0 {
		return 0, false
	}
	return r.lat.percentile(q), true
}

// Row returns the row named key.
func (t *Table) Row(key string) (Row, bool) {
	m, tool := ParseKey(key)
	r, ok := t.rows[rowKey{m, tool}]
	if !ok {
		return Row{}, false
	}
	return r.export(rowKey{m, tool}), true
}

func (r *row) export(k rowKey) Row {
	out := Row{Key: Key(k.method, k.tool), Method: k.method, Tool: k.tool, Count: r.count, Answered: r.answered,
		Errors: r.errors, ToolErrors: r.toolErrors, Cancelled: r.cancelled, Pending: r.pending,
		ReqBytes: r.reqBytes, RespBytes: r.respBytes, Max: r.lat.max}
	if r.lat.n > 0 {
		out.P50, out.P95, out.P99 = r.lat.percentile(0.50), r.lat.percentile(0.95), r.lat.percentile(0.99)
		out.Mean = r.lat.sum / time.Duration(r.lat.n)
	}
	return out
}

// Rows returns every row: methods slowest first (by p95; those never
// answered, such as notifications, last, most frequent first), each
// tools/call row followed by its tools, slowest first.
func (t *Table) Rows() []Row {
	var methods []Row
	tools := map[string][]Row{}
	for k, r := range t.rows {
		if k.tool != "" {
			tools[k.method] = append(tools[k.method], r.export(k))
		} else {
			methods = append(methods, r.export(k))
		}
	}
	sortRows(methods)
	out := make([]Row, 0, len(t.rows))
	for _, m := range methods {
		out = append(out, m)
		ts := tools[m.Method]
		sortRows(ts)
		out = append(out, ts...)
	}
	return out
}

func sortRows(rs []Row) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.P95 != b.P95 {
			return a.P95 > b.P95
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Key < b.Key
	})
}

// Pending returns the calls not answered yet, oldest first, with their
// age at now (live: time.Now(); a recording: Last()).
func (t *Table) Pending(now time.Time) []Call {
	out := make([]Call, 0, len(t.pend.bySeq))
	for _, c := range t.pend.bySeq {
		k := c.method
		if c.tool != (rowKey{}) {
			k = c.tool
		}
		end := now
		if !c.ended.IsZero() {
			end = c.ended
		}
		age := max(end.Sub(c.started), 0)
		idle := age
		if !c.lastSign.IsZero() {
			idle = max(end.Sub(c.lastSign), 0)
		}
		out = append(out, Call{Key: Key(k.method, k.tool), Session: c.session, ID: c.id, Seq: c.seq, Started: c.started,
			Age: age, Idle: idle, Progress: c.signs, Hung: !c.stream && idle >= t.opts.HungAfter, Stream: c.stream, Ended: c.endReason, ServerRequest: c.dir == proxy.ServerToClient})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// Last is the time of the latest observation seen: "now" for a recording.
func (t *Table) Last() time.Time { return t.last }

// HungAfter is the age from which a pending call is hung.
func (t *Table) HungAfter() time.Duration { return t.opts.HungAfter }

// Context returns the context cost section.
func (t *Table) Context() ContextCost { return t.ctx.snapshot() }

// Snapshot returns every figure, pending ages taken at now.
func (t *Table) Snapshot(now time.Time) Snapshot {
	return Snapshot{At: now, HungAfter: t.opts.HungAfter, Rows: t.Rows(), Pending: t.Pending(now),
		Untracked: t.untracked, Dropped: t.dropped, Context: t.Context()}
}
