package ui

import (
	"strconv"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// row is one line of the traffic list: a JSON-RPC message, an SSE event, or
// an HTTP exchange that failed. It keeps its observation for the detail
// pane.
type row struct {
	obs  *proxy.Observation
	held bool // the event waits at its stream's closed gate: the client has not got it
	// findings are the protocol checks' findings about this row (findings.go).
	findings []*proxy.Finding
}

// rowFor returns the row for an observation, or false for observations the
// list does not show (stream transitions and gates go to other panes).
func rowFor(o *proxy.Observation) (row, bool) {
	if !listed(o) {
		return row{}, false
	}
	return row{obs: o}, true
}

// listed reports whether the list shows o as a row.
func listed(o *proxy.Observation) bool {
	switch o.Type {
	case proxy.TypeMessage, proxy.TypeSSEEvent, proxy.TypeFinding:
		return true
	case proxy.TypeOAuth:
		return o.OAuth != nil // the auth handshake: a challenge, the metadata as rewritten
	case proxy.TypeHTTP:
		return o.HTTP != nil && (o.HTTP.Error != "" || o.HTTP.Status >= 400) // successful exchanges show through their messages
	case proxy.TypeStreamClosed, proxy.TypeNotice:
		return o.Has(proxy.FlagUpstreamBroke) // streams show through their events; notices in the status bar
	}
	return false
}

// label names what a row is: the method, or "result"/"error" with the
// request's method. It is built as the row is drawn, not kept: most rows
// are never on screen.
func label(o *proxy.Observation) string {
	switch {
	case o.Type == proxy.TypeFinding:
		return findingLabel(o)
	case o.Type == proxy.TypeHTTP:
		return "HTTP " + strconv.Itoa(o.HTTP.Status) + " " + o.HTTP.Method + " " + o.HTTP.URL
	case o.Type == proxy.TypeOAuth && o.OAuth != nil:
		return "oauth " + o.OAuth.Summary()
	case o.Kind == proxy.KindResult || o.Kind == proxy.KindError:
		if o.Method != "" {
			return withTool(string(o.Kind)+" "+o.Method, o)
		}
		return string(o.Kind)
	case o.Method != "":
		return withTool(o.Method, o)
	case o.Kind == proxy.KindInvalid:
		return "invalid JSON"
	case o.Has("comment"):
		return ": comment"
	case o.Type == proxy.TypeSSEEvent && o.EventType != "":
		return "event " + o.EventType
	case o.Type == proxy.TypeSSEEvent:
		return "sse block"
	case o.Type == proxy.TypeStreamClosed:
		return o.Reason
	case o.Type == proxy.TypeNotice:
		return o.Reason
	}
	return string(o.Type)
}

// withTool names the tool of a tools/call exchange after a label: on the
// request, its answer and its progress ("tools/call echo",
// "notifications/progress · echo").
func withTool(label string, o *proxy.Observation) string {
	switch {
	case o.Tool == "":
		return label
	case o.Method == "tools/call":
		return label + " " + o.Tool
	}
	return label + " · " + o.Tool
}

// size is the bytes a row keeps alive.
func (r row) size() int { return len(r.obs.Raw) + len(r.obs.Body) + 256 }

// rowRing holds the newest rows, up to a count and a byte limit; the oldest
// go first. Rows are addressed by a monotonic index, so a position survives
// eviction of older rows.
type rowRing struct {
	rows     []row
	start    int // index of the oldest row in rows
	n        int
	first    int // monotonic index of the oldest row
	bytes    int
	maxBytes int
}

func newRowRing(maxRows, maxBytes int) *rowRing {
	return &rowRing{rows: make([]row, maxRows), maxBytes: maxBytes}
}

// push adds r, evicting the oldest rows as needed.
func (q *rowRing) push(r row) {
	for q.n > 0 && (q.n == len(q.rows) || q.bytes+r.size() > q.maxBytes) {
		q.popOldest()
	}
	q.rows[(q.start+q.n)%len(q.rows)] = r
	q.n++
	q.bytes += r.size()
}

func (q *rowRing) popOldest() {
	q.bytes -= q.rows[q.start].size()
	q.rows[q.start] = row{}
	q.start = (q.start + 1) % len(q.rows)
	q.n--
	q.first++
}

// end is the monotonic index after the newest row.
func (q *rowRing) end() int { return q.first + q.n }

// at returns the row with monotonic index i, if still held.
func (q *rowRing) at(i int) (*row, bool) {
	if i < q.first || i >= q.end() {
		return nil, false
	}
	return &q.rows[(q.start+i-q.first)%len(q.rows)], true
}

// durationShort formats a gap or latency compactly.
func durationShort(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + "µs"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	return d.Truncate(time.Second).String()
}

// sizeShort formats a byte count compactly.
func sizeShort(n int) string {
	switch {
	case n < 1024:
		return strconv.Itoa(n) + "B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + "K"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + "M"
}
