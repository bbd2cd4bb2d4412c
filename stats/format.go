package stats

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/internal/termtext"
)

// Line is one line of the text form of a snapshot: the TUI styles it by
// its flags, the CLI prints Text.
type Line struct {
	Text    string
	Heading bool // a section's title or a table's header
	Hung    bool // a hung call, or a row that has one
	Error   bool // a row with errors
}

// Lines renders a snapshot in width columns (at least 60): the table of
// methods and tools, the pending calls (oldest first), the context cost.
// Peer-chosen text is made safe for a terminal (internal/termtext).
func Lines(s Snapshot, width int) []Line {
	width = max(width, 60)
	var out []Line
	add := func(l Line) { l.Text = fit(l.Text, width); out = append(out, l) }

	nums := "%6s %4s %4s %6s %6s %6s %6s %6s"
	name := min(width-51, maxNameColumn)
	add(Line{Text: pad("METHOD / TOOL", name) + fmt.Sprintf(nums, "CALLS", "ERR", "PEND", "P50", "P95", "P99", "REQ", "RESP"), Heading: true})
	hungKeys := map[string]bool{}
	for _, c := range s.Pending {
		if c.Hung {
			hungKeys[c.Key] = true
			m, _ := ParseKey(c.Key)
			hungKeys[m] = true
		}
	}
	for _, r := range s.Rows {
		label := termtext.Safe(r.Key)
		if r.Tool != "" {
			label = "  " + termtext.Safe(r.Tool)
		}
		errs := r.Errors + r.ToolErrors
		p50, p95, p99 := "—", "—", "—"
		if r.Answered > 0 {
			p50, p95, p99 = duration(r.P50), duration(r.P95), duration(r.P99)
		}
		add(Line{Text: pad(label, name) + fmt.Sprintf(nums, count(r.Count), count(errs), count(int64(r.Pending)),
			p50, p95, p99, sizeText(r.ReqBytes), sizeText(r.RespBytes)),
			Hung: hungKeys[r.Key], Error: errs > 0})
	}
	if len(s.Rows) == 0 {
		add(Line{Text: "no JSON-RPC messages"})
	}
	add(Line{Text: "ERR: JSON-RPC errors, failed HTTP exchanges, isError results. REQ/RESP: bytes"})
	if s.Dropped > 0 {
		add(Line{Text: fmt.Sprintf("%s missed (a lossy feed): figures may be incomplete", plural.Count(int(s.Dropped), "observation")), Error: true})
	}

	out = append(out, Line{})
	add(Line{Text: fmt.Sprintf("PENDING (%d; hung after %s)", len(s.Pending), s.HungAfter), Heading: true})
	for _, c := range s.Pending {
		mark := "    "
		switch {
		case c.Hung:
			mark = "HUNG"
		case c.Stream:
			mark = "open"
		}
		text := fmt.Sprintf("%s %8s  %s  id %s", mark, age(c.Age), termtext.Safe(c.Key), termtext.Safe(c.ID))
		if c.Session != "" {
			text += "  session " + termtext.Safe(short(c.Session))
		}
		if c.ServerRequest {
			text += "  (server→client)"
		}
		if c.Progress > 0 {
			text += fmt.Sprintf("  progress %d, last %s ago", c.Progress, age(c.Idle))
		}
		add(Line{Text: text, Hung: c.Hung})
		if c.Ended != "" {
			add(Line{Text: "               " + termtext.Safe(c.Ended), Hung: c.Hung})
		}
	}
	if len(s.Pending) == 0 {
		add(Line{Text: "none"})
	}
	if s.Untracked > 0 {
		add(Line{Text: fmt.Sprintf("%s not tracked (too many pending at once)", plural.Count(int(s.Untracked), "call")), Error: true})
	}

	out = append(out, Line{})
	out = append(out, contextLines(s.Context, width)...)
	return out
}

func contextLines(c ContextCost, width int) []Line {
	var out []Line
	add := func(l Line) { l.Text = fit(l.Text, width); out = append(out, l) }
	add(Line{Text: "CONTEXT COST: " + c.Estimate, Heading: true})
	if c.Lists == 0 && len(c.Tools) == 0 {
		add(Line{Text: "no tools/list result or tool result seen"})
		return out
	}
	if c.Lists == 0 {
		add(Line{Text: "no tools/list result seen: tool definitions unknown"})
	} else {
		add(Line{Text: fmt.Sprintf("tools/list: %s, last %s (≈%d tok); %s: %s (≈%d tok)",
			plural.Count(int(c.Lists), "result"), Bytes(c.LastListBytes), Tokens(c.LastListBytes),
			plural.Count(len(c.Tools), "tool"), Bytes(c.DefinitionBytes), Tokens(c.DefinitionBytes))})
	}
	cols := "%6s %6s %6s %6s %6s %7s %6s"
	name := min(width-49, maxNameColumn+2)
	add(Line{Text: pad("TOOL", name) + fmt.Sprintf(cols, "DEF", "DESC", "SCHEMA", "≈TOK", "CALLS", "AVG RES", "≈TOK"), Heading: true})
	for _, t := range c.Tools {
		avg, avgTok := "—", "—"
		if t.Results > 0 {
			a := t.ResultBytes / t.Results
			avg, avgTok = Bytes(a), fmt.Sprint(Tokens(a))
		}
		def, desc, schema, tok := "—", "—", "—", "—"
		if t.DefinitionBytes > 0 {
			def, tok = Bytes(int64(t.DefinitionBytes)), fmt.Sprint(Tokens(int64(t.DefinitionBytes)))
			desc, schema = Bytes(int64(t.DescriptionBytes)), Bytes(int64(t.InputSchemaBytes+t.OutputSchemaBytes))
		}
		add(Line{Text: pad(termtext.Safe(t.Name), name) + fmt.Sprintf(cols, def, desc, schema, tok, count(t.Results), avg, avgTok)})
	}
	return out
}

// maxNameColumn keeps the figures near their names on a wide screen.
const maxNameColumn = 44

// WriteText writes Lines(s, 80) as plain text.
func WriteText(w io.Writer, s Snapshot) error {
	var b strings.Builder
	for _, l := range Lines(s, 80) {
		b.WriteString(strings.TrimRight(l.Text, " "))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fit cuts or pads text to width cells.
func fit(s string, width int) string {
	return runewidth.FillRight(runewidth.Truncate(s, width, "…"), width)
}

func pad(s string, width int) string { return fit(s, width-1) + " " }

func count(n int64) string {
	if n == 0 {
		return "·"
	}
	if n >= 1_000_000 {
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	}
	return fmt.Sprint(n)
}

// Bytes says n bytes briefly: 512B, 1.2K, 3.4M, 1.1G.
func Bytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%dB", n)
	case n < 1000<<10:
		return fmt.Sprintf("%.1fK", float64(n)/1024)
	case n < 1000<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
	}
}

// duration says a latency in 6 cells or fewer: 850µs, 4.2ms, 153ms, 2.31s, 4m05s, 3h10m.
func duration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 100*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return ">99h"
	}
}

// age says how long a call has waited, to the tenth of a second (a live
// timer).
func age(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return duration(d)
}

// short is the start of a session id, as the sessions pane shows it.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// sizeText is Bytes, or "·" for none.
func sizeText(n int64) string {
	if n == 0 {
		return "·"
	}
	return Bytes(n)
}
