package recdiff

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mcpscope/mcpscope/internal/termtext"
)

// TextOptions configure WriteText.
type TextOptions struct {
	NameA, NameB string // what A and B are (file names), shown as given
	Colour       bool   // ANSI colours (for a terminal)
	Width        int    // the width lines are cut to (0: 80)
}

// WriteText writes the report for people: listings, drift, answers and
// latencies, each line cut to the width. Peer text (names, labels,
// values) is made terminal-safe.
func (r *Report) WriteText(w io.Writer, o TextOptions) error {
	if o.Width <= 0 {
		o.Width = 80
	}
	t := &textWriter{w: bufio.NewWriter(w), o: o}
	t.line("", "A: "+termtext.Safe(o.NameA))
	t.line("", "B: "+termtext.Safe(o.NameB))
	r.writeLists(t)
	r.writeDrift(t)
	r.writeCalls(t)
	r.writeLatency(t)
	if len(r.NotesA)+len(r.NotesB) > 0 {
		t.blank()
	}
	for _, n := range r.NotesA {
		t.line("", "note (A): "+termtext.Safe(n))
	}
	for _, n := range r.NotesB {
		t.line("", "note (B): "+termtext.Safe(n))
	}
	t.blank()
	if r.Differs() {
		t.line(bold, "A and B differ")
	} else {
		t.line(bold, "no differences (latencies aside)")
	}
	return t.w.Flush()
}

const (
	bold   = "\x1b[1m"
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	faint  = "\x1b[2m"
	reset  = "\x1b[0m"
)

type textWriter struct {
	w *bufio.Writer
	o TextOptions
}

// line writes s (already terminal-safe) cut to the width, in colour when
// asked.
func (t *textWriter) line(colour, s string) {
	s = ansi.Truncate(s, t.o.Width, "…")
	if t.o.Colour && colour != "" {
		s = colour + s + reset
	}
	t.w.WriteString(s + "\n")
}

func (t *textWriter) blank() { t.w.WriteString("\n") }

var marks = map[ChangeKind]struct{ mark, colour string }{
	Added:   {"+", green},
	Removed: {"-", red},
	Changed: {"~", yellow},
}

// changes writes listing changes, indented.
func (t *textWriter) changes(indent string, cs []Change) {
	for _, c := range cs {
		m := marks[c.Kind]
		s := indent + m.mark + " " + termtext.Safe(c.Name)
		if c.Kind == Changed {
			s += ": " + termtext.Safe(strings.Join(c.Fields, ", "))
		}
		t.line(m.colour, s)
		t.details(indent+"    ", c.Details)
	}
}

// details writes where two values differ: on one line when it fits,
// else the path, then each value on a line of its own from a little
// before where they start to differ.
func (t *textWriter) details(indent string, ds []Difference) {
	for _, d := range ds {
		path, before, after := termtext.Safe(d.Path), shown(d.Before), shown(d.After)
		if one := indent + path + ": " + before + " → " + after; ansi.StringWidth(one) <= t.o.Width {
			t.line(faint, one)
			continue
		}
		before, after = fromDifference(before, after)
		t.line(faint, indent+path+":")
		t.line(red, indent+"  - "+before)
		t.line(green, indent+"  + "+after)
	}
}

// fromDifference drops what two long texts share at their start but for
// a few characters of context, marking the cut.
func fromDifference(a, b string) (string, string) {
	const context = 12
	ra, rb := []rune(a), []rune(b)
	n := 0
	for n < len(ra) && n < len(rb) && ra[n] == rb[n] {
		n++
	}
	if n <= context+4 {
		return a, b
	}
	return "…" + string(ra[n-context:]), "…" + string(rb[n-context:])
}

func shown(v string) string {
	if v == "" {
		return "(none)"
	}
	return termtext.Safe(v)
}

func (r *Report) writeLists(t *textWriter) {
	if len(r.Lists) == 0 {
		t.blank()
		t.line(bold, "listings: none in A or B")
	}
	for _, l := range r.Lists {
		t.blank()
		head := fmt.Sprintf("%s: %s in A, %s in B", l.List, listed(l.ListedA, l.CountA), listed(l.ListedB, l.CountB))
		if l.ListedA && l.ListedB && len(l.Changes) == 0 {
			head += ", the same"
		}
		t.line(bold, head)
		t.changes("  ", l.Changes)
	}
}

func listed(ok bool, n int) string {
	if !ok {
		return "never listed"
	}
	return fmt.Sprint(n)
}

func (r *Report) writeDrift(t *textWriter) {
	t.blank()
	switch {
	case len(r.Drift.A) == 0 && len(r.Drift.B) == 0:
		t.line(bold, "drift within a session: none")
		return
	case r.Drift.Same:
		t.line(bold, "drift within a session: the same in A and B")
	default:
		t.line(bold, "drift within a session: not the same in A and B")
	}
	for _, side := range []struct {
		name string
		ds   []Drift
	}{{"A", r.Drift.A}, {"B", r.Drift.B}} {
		for _, d := range side.ds {
			how := "not announced by list_changed"
			if d.Announced {
				how = "after list_changed"
			}
			t.line("", fmt.Sprintf("  %s, session %s, seq %d: %s changed, %s", side.name, cutWidth(termtext.Safe(d.Session), 12), d.Seq, d.List, how))
			t.changes("    ", d.Changes)
			if d.CountChanges > len(d.Changes) {
				t.line("", fmt.Sprintf("    … and %d more", d.CountChanges-len(d.Changes)))
			}
		}
	}
}

func cutWidth(s string, w int) string { return ansi.Truncate(s, w, "…") }

func (r *Report) writeCalls(t *textWriter) {
	c := r.Calls
	t.blank()
	t.line(bold, fmt.Sprintf("calls: %d matched, %d answered differently, %d only in A, %d only in B",
		c.Matched, c.CountDiffer, c.CountOnlyA, c.CountOnlyB))
	for _, d := range c.Differ {
		s := "  ~ " + termtext.Safe(d.Call) + occurrence(d.Occurrence)
		if d.Reason != "" {
			s += ": " + d.Reason
		}
		t.line(yellow, s)
		t.details("      ", d.Details)
	}
	if c.CountDiffer > len(c.Differ) {
		t.line("", fmt.Sprintf("  … and %d more", c.CountDiffer-len(c.Differ)))
	}
	for _, side := range []struct {
		mark, colour, name string
		refs               []CallRef
		count              int
	}{{"-", red, "A", c.OnlyA, c.CountOnlyA}, {"+", green, "B", c.OnlyB, c.CountOnlyB}} {
		for _, ref := range side.refs {
			t.line(side.colour, "  "+side.mark+" only in "+side.name+": "+termtext.Safe(ref.Call)+occurrence(ref.Occurrence))
		}
		if side.count > len(side.refs) {
			t.line("", fmt.Sprintf("  … and %d more only in %s", side.count-len(side.refs), side.name))
		}
	}
}

func occurrence(n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf(" (#%d)", n)
}

// latency columns: name, calls A/B, then six durations.
const latencyRow = "%-22s %7s%8s%8s%8s%8s%8s%8s"

func (r *Report) writeLatency(t *textWriter) {
	if len(r.Latency) == 0 {
		return
	}
	t.blank()
	t.line(bold, fmt.Sprintf(latencyRow, "latency", "calls", "p50 A", "p50 B", "Δp50", "p95 A", "p95 B", "Δp95"))
	for _, l := range r.Latency {
		name := cutWidth(termtext.Safe(l.Name), 22)
		name += strings.Repeat(" ", max(0, 22-ansi.StringWidth(name))) // width-aware padding
		t.line("", fmt.Sprintf("%s"+latencyRow[len("%-22s"):], name, fmt.Sprintf("%d/%d", l.A.Count, l.B.Count),
			dur(l.A.P50, l.A.Count), dur(l.B.P50, l.B.Count), delta(l.DeltaP50, l),
			dur(l.A.P95, l.A.Count), dur(l.B.P95, l.B.Count), delta(l.DeltaP95, l)))
	}
}

func dur(d time.Duration, n int) string {
	if n == 0 {
		return "-"
	}
	return Duration(d)
}

func delta(d time.Duration, l LatencyDiff) string {
	if l.A.Count == 0 || l.B.Count == 0 {
		return "-"
	}
	switch {
	case d == 0:
		return "0"
	case d < 0:
		return "-" + Duration(-d)
	}
	return "+" + Duration(d)
}

// Duration writes d in at most 7 characters: 850µs, 1.25ms, 12.3ms,
// 2.50s, 1234s.
func Duration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < 100*time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return fmt.Sprintf("%.0fs", d.Seconds())
}
