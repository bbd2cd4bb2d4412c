package ui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"

	"github.com/mcpscope/mcpscope/filter"
	"github.com/mcpscope/mcpscope/internal/termtext"
	"github.com/mcpscope/mcpscope/proxy"
)

// trafficList is the live list: every message and SSE event, newest last,
// narrowed by the filter. The selection is a row (by its monotonic index),
// not a screen position, so it stays put while rows arrive.
type trafficList struct {
	ring     *rowRing
	filter   *filter.Filter // nil shows all
	visible  []int          // monotonic indexes of the rows that match, in order
	sel      int            // monotonic index of the selected row; -1 when none
	offset   int            // position in visible of the first row drawn
	follow   bool           // keep the newest row selected
	bySeq    map[uint64]int
	answerOf map[uint64]uint64 // request seq → seq of its answer
}

func newTrafficList(maxRows, maxBytes int) *trafficList {
	return &trafficList{ring: newRowRing(maxRows, maxBytes), sel: -1, follow: true,
		bySeq: make(map[uint64]int), answerOf: make(map[uint64]uint64)}
}

// add appends an observation's row, if it has one.
func (t *trafficList) add(o *proxy.Observation) {
	if o.Type == proxy.TypeFinding {
		t.noteFinding(o) // badges the row it is about (findings.go)
	}
	r, ok := rowFor(o)
	if !ok {
		return
	}
	t.ring.push(r)
	i := t.ring.end() - 1
	t.bySeq[o.Seq] = i
	if o.RequestSeq != 0 {
		t.answerOf[o.RequestSeq] = o.Seq
	}
	if t.matches(&r) {
		t.visible = append(t.visible, i)
	}
	t.trimVisible()
	if t.follow && len(t.visible) > 0 {
		t.sel = t.visible[len(t.visible)-1]
	}
}

// trimVisible drops evicted rows from the visible list and the maps.
func (t *trafficList) trimVisible() {
	k := 0
	for k < len(t.visible) && t.visible[k] < t.ring.first {
		k++
	}
	if k > 0 {
		t.visible = t.visible[k:]
		t.offset = max(0, t.offset-k)
		if len(t.visible) < cap(t.visible)/4 { // give back memory now and then
			t.visible = append([]int(nil), t.visible...)
		}
	}
	if len(t.bySeq) > 2*t.ring.n+1024 {
		for seq, i := range t.bySeq {
			if i < t.ring.first {
				delete(t.bySeq, seq)
			}
		}
		for req, ans := range t.answerOf {
			if _, ok := t.bySeq[ans]; !ok {
				delete(t.answerOf, req)
			}
		}
	}
	if t.sel >= 0 && t.sel < t.ring.first {
		t.sel = -1
		if len(t.visible) > 0 {
			t.sel = t.visible[0]
		}
	}
}

func (t *trafficList) matches(r *row) bool {
	if t.filter == nil {
		return true
	}
	s := r.obs.Subject()
	if len(r.findings) > 0 { // flag:finding matches the rows findings are about
		s.Flags = append(s.Flags[:len(s.Flags):len(s.Flags)], proxy.FlagFinding)
	}
	return t.filter.Match(&s)
}

// filterText is the expression of the filter in force, "" for none.
func (t *trafficList) filterText() string { return t.filter.String() }

// setFilter narrows the list to the rows matching an expression of the
// filter language, keeping the selection if it still shows. An expression
// that does not parse leaves the list as it was and returns the error.
func (t *trafficList) setFilter(text string) error {
	f, err := filter.Parse(text)
	if err != nil {
		return err
	}
	if f.String() == "" {
		f = nil
	}
	t.filter = f
	t.visible = t.visible[:0]
	for i := t.ring.first; i < t.ring.end(); i++ {
		if r, _ := t.ring.at(i); t.matches(r) {
			t.visible = append(t.visible, i)
		}
	}
	if t.position() < 0 || t.follow {
		t.sel = -1
		if n := len(t.visible); n > 0 {
			t.sel = t.visible[n-1]
		}
	}
	return nil
}

// position returns the selected row's position in visible, or -1.
func (t *trafficList) position() int {
	p := sort.SearchInts(t.visible, t.sel)
	if p < len(t.visible) && t.visible[p] == t.sel {
		return p
	}
	return -1
}

// move moves the selection by delta rows; moving up leaves follow mode,
// reaching the newest row enters it.
func (t *trafficList) move(delta int) {
	if len(t.visible) == 0 {
		return
	}
	p := t.position()
	if p < 0 {
		p = len(t.visible) - 1
	}
	p = min(max(p+delta, 0), len(t.visible)-1)
	t.sel = t.visible[p]
	t.follow = p == len(t.visible)-1 && delta > 0
}

func (t *trafficList) toEnd(follow bool) {
	if n := len(t.visible); n > 0 {
		t.sel = t.visible[n-1]
	}
	t.follow = follow
}

func (t *trafficList) toStart() {
	if len(t.visible) > 0 {
		t.sel = t.visible[0]
	}
	t.follow = false
}

// selected returns the selected row.
func (t *trafficList) selected() (*row, bool) {
	if t.sel < 0 {
		return nil, false
	}
	return t.ring.at(t.sel)
}

// jump selects the other end of a request/answer pair; false if it is not
// held (or not an end of a pair).
func (t *trafficList) jump() bool {
	r, ok := t.selected()
	if !ok {
		return false
	}
	target := r.obs.RequestSeq
	if target == 0 {
		target = t.answerOf[r.obs.Seq]
	}
	i, ok := t.bySeq[target]
	if !ok || target == 0 || i < t.ring.first {
		return false
	}
	if r, _ := t.ring.at(i); !t.matches(r) {
		t.setFilter("") // the other end is filtered out: show everything
	}
	t.sel, t.follow = i, false
	return true
}

// view draws the rows that fit in height, keeping the selection in sight.
func (t *trafficList) view(width, height int, focused bool) string {
	if height <= 0 {
		return ""
	}
	if len(t.visible) == 0 {
		msg := "waiting for traffic…"
		if t.filter != nil {
			msg = "no rows match the filter " + termtext.Safe(t.filterText())
		}
		return styleDim.Render(truncate(msg, width))
	}
	p := t.position()
	if p < 0 {
		p = len(t.visible) - 1
	}
	if p < t.offset {
		t.offset = p
	}
	if p >= t.offset+height {
		t.offset = p - height + 1
	}
	t.offset = min(t.offset, max(0, len(t.visible)-height))
	var b strings.Builder
	for k := t.offset; k < len(t.visible) && k < t.offset+height; k++ {
		r, _ := t.ring.at(t.visible[k])
		line := formatRow(r, width)
		if k == p {
			if focused {
				line = styleSelected.Render(line)
			} else {
				line = styleTitle.Render(line)
			}
		}
		if k > t.offset {
			b.WriteByte('\n')
		}
		b.WriteString(line)
	}
	return b.String()
}

// formatRow lays out one row in width columns: time, direction, label,
// JSON-RPC id, SSE event id, size, gap, stream, flags.
func formatRow(r *row, width int) string {
	o := r.obs
	dir := " "
	switch o.Direction {
	case proxy.ClientToServer:
		dir = styleToServer.Render("→")
	case proxy.ServerToClient:
		dir = styleToClient.Render("←")
	}
	id := ""
	if o.ID != "" {
		id = "#" + shortRequestID(string(o.ID))
	}
	ev := ""
	if o.HasID {
		ev = "ev " + tail(o.EventID, 6)
	}
	extra := ""
	if o.Latency > 0 {
		extra = durationShort(o.Latency)
	} else if gap := durationShort(o.Gap); gap != "" && o.Type == proxy.TypeSSEEvent {
		extra = "+" + gap
	}
	size := ""
	if o.Size > 0 {
		size = sizeShort(o.Size)
	} else if o.Body != "" {
		size = sizeShort(len(o.Body))
	}
	right := fixed(id, 7) + " " + fixed(ev, 9) + " " + fixedRight(size, 6) + " " + fixedRight(extra, 7)
	if width >= 110 {
		right += " " + fixed(o.Stream, 6) + " " + fixed(shortID(o.Session), 10)
	}
	flags := badges(o)
	if fb := findingBadge(r); fb != "" {
		flags = fb + " " + flags
	}
	if r.held {
		flags = "⏸held " + flags
	}
	labelWidth := width - 13 - 2 - lipgloss.Width(right) - 1
	lbl := termtext.Safe(label(o))
	if op := operationBadge(o); op != "" {
		lbl += " " + op
	}
	if flags != "" {
		lbl += " " + flags
	}
	lblStyle := lipgloss.NewStyle()
	if o.Kind == proxy.KindError || o.Kind == proxy.KindInvalid || o.Type == proxy.TypeHTTP || o.Type == proxy.TypeFinding || o.Has(proxy.FlagUpstreamBroke) || len(r.findings) > 0 {
		lblStyle = styleError
	}
	return o.Time.Format("15:04:05.000") + " " + dir + " " + lblStyle.Render(fixed(lbl, labelWidth)) + " " + right
}

// markHeld marks (or unmarks) the newest row of a stream as waiting at
// its gate. It looks back a bounded way: a held event is the stream's last.
func (t *trafficList) markHeld(stream string, held bool) {
	for i, n := t.ring.end()-1, 0; i >= t.ring.first && n < 2000; i, n = i-1, n+1 {
		if r, _ := t.ring.at(i); r.obs.Stream == stream && r.obs.Type == proxy.TypeSSEEvent {
			r.held = held
			return
		}
	}
}

// operationBadge names the operation a message belongs to and its round
// ("«op-3 r2»"), with the client's think time before an MRTR retry
// ("«op-3 r2 +52ms»"); "" when it belongs to none.
func operationBadge(o *proxy.Observation) string {
	if o.Operation == "" {
		return ""
	}
	s := termtext.Safe(o.Operation)
	if o.Round > 0 {
		s += fmt.Sprintf(" r%d", o.Round)
	}
	if o.ThinkTime > 0 {
		s += " +" + durationShort(o.ThinkTime)
	}
	return "«" + s + "»"
}

// badges marks what is unusual about a row, first what a rule did.
func badges(o *proxy.Observation) string {
	var b []string
	if d := o.Decision; d != nil {
		b = append(b, "⚑"+d.Action)
	}
	for _, f := range o.Flags {
		switch f {
		case proxy.FlagResent:
			b = append(b, resentBadge(o))
		case "comment":
		default:
			b = append(b, "["+f+"]")
		}
	}
	if o.Batch > 0 {
		b = append(b, "[batch]")
	}
	return strings.Join(b, "")
}

// tail keeps the last n characters of a long id (event ids usually end
// in their sequence number).
func tail(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return "…" + string(r[len(r)-n+1:])
	}
	return s
}

// shortID abbreviates long session ids.
func shortID(s string) string {
	if len(s) > 10 {
		return s[:9] + "…"
	}
	return s
}

// fixed pads or cuts s to exactly width cells.
func fixed(s string, width int) string {
	if width <= 0 {
		return ""
	}
	s = truncate(s, width)
	return s + strings.Repeat(" ", max(0, width-lipgloss.Width(s)))
}

func fixedRight(s string, width int) string {
	s = truncate(s, width)
	return strings.Repeat(" ", max(0, width-lipgloss.Width(s))) + s
}

// truncate cuts plain text s to width cells, marking the cut with "…".
func truncate(s string, width int) string {
	return runewidth.Truncate(s, max(width, 0), "…")
}
