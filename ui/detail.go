package ui

import (
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"sort"
	"strings"

	"github.com/mcpscope/mcpscope/internal/termtext"
	"github.com/mcpscope/mcpscope/proxy"
)

// detailPane shows the selected row in full: what it is, its JSON pretty and
// coloured, the raw SSE bytes, the HTTP exchange. The rendered text of the
// last row shown is cached, so a frame costs a copy of visible lines, not
// a re-render.
type detailPane struct {
	seq    uint64 // the row the cache holds
	width  int
	lines  []string
	scroll int

	findings   int  // how many findings the cached row had (findings.go)
	factsFirst bool // the cached lines have the facts under the title (see shortDetail)
}

func (d *detailPane) view(r *row, width, height int) string {
	if r == nil {
		return styleDim.Render("select a row to see it in full")
	}
	factsFirst := height >= shortDetail
	if r.obs.Seq != d.seq || width != d.width || len(r.findings) != d.findings || factsFirst != d.factsFirst {
		d.seq, d.width, d.scroll, d.findings, d.factsFirst = r.obs.Seq, width, 0, len(r.findings), factsFirst
		d.lines = strings.Split(ansi.Wrap(renderDetailFacts(r.obs, factsFirst)+renderFindings(r.obs, r.findings), max(width, 1), " ,"), "\n")
	}
	d.scroll = min(d.scroll, max(0, len(d.lines)-height))
	end := min(len(d.lines), d.scroll+height)
	out := make([]string, 0, end-d.scroll)
	for _, l := range d.lines[d.scroll:end] {
		out = append(out, truncateStyled(l, width)) // a word longer than the line is cut
	}
	return strings.Join(out, "\n")
}

func (d *detailPane) scrollBy(n int) { d.scroll = max(0, d.scroll+n) }

// renderDetail renders everything known about one observation, its facts
// (kind, ids, sizes, timing) under the title.
func renderDetail(o *proxy.Observation) string { return renderDetailFacts(o, true) }

// shortDetail is the detail pane's height (lines) below which the facts
// follow the message instead of preceding it: at 80×24 they wrap over
// five lines, and the pane would show nothing of the message itself.
const shortDetail = 12

// renderDetailFacts is renderDetail with the facts under the title
// (factsFirst) or after the message and the rules' decisions.
func renderDetailFacts(o *proxy.Observation, factsFirst bool) string {
	var b strings.Builder
	title := styleTitle.Render(termtext.Safe(label(o)))
	fmt.Fprintf(&b, "%s  %s\n", title, styleDim.Render(o.Time.Format("2006-01-02 15:04:05.000000")))
	var facts []string
	add := func(name, value string) {
		if value != "" {
			facts = append(facts, name+" "+termtext.Safe(value))
		}
	}
	add("kind", string(o.Kind))
	add("direction", strings.ReplaceAll(string(o.Direction), "_", " "))
	add("id", string(o.ID))
	add("session", o.Session)
	add("stream", o.Stream)
	add("event id", o.EventID)
	add("event", o.EventType)
	if o.Retry > 0 {
		add("retry", fmt.Sprint(o.Retry, "ms"))
	}
	if o.Size > 0 {
		add("size", sizeShort(o.Size))
	}
	if o.Gap > 0 {
		add("gap", durationShort(o.Gap))
	}
	if o.Tool != "" {
		add("tool", o.Tool+" (filter tool:"+o.Tool+")")
	}
	if o.Has(proxy.FlagResent) {
		add("re-sent", resentDetail(o))
	}
	if o.RequestSeq != 0 {
		add("answers", fmt.Sprintf("the request at seq %d, after %s (o jumps there)", o.RequestSeq, durationShort(o.Latency)))
	}
	if o.Operation != "" {
		op := o.Operation
		if o.Round > 0 {
			op += fmt.Sprintf(", round %d", o.Round)
		}
		if o.ThinkTime > 0 {
			op += ", after " + durationShort(o.ThinkTime) + " of client think time"
		}
		add("operation", op+" (filter op:"+o.Operation+")")
	}
	if len(o.Flags) > 0 {
		add("flags", strings.Join(o.Flags, ", "))
	}
	if factsFirst {
		b.WriteString(strings.Join(facts, " · ") + "\n")
	} else if len(facts) > 3 { // the first three (kind, direction, id) say what the message is
		b.WriteString(strings.Join(facts[:3], " · ") + " · " + styleDim.Render("more facts below") + "\n")
	} else {
		b.WriteString(strings.Join(facts, " · ") + "\n")
	}
	if d := o.Decision; d != nil {
		b.WriteString("\n" + stylePaused.Render("⚑ rule "+termtext.Safe(strings.Join(d.Rules, " → "))+": "+d.Action) + "\n")
		if d.Note != "" {
			b.WriteString(termtext.Safe(d.Note) + "\n")
		}
		if d.Before != "" {
			b.WriteString(styleDim.Render("── before ──") + "\n" + prettyJSON(d.Before) + "\n")
			b.WriteString(styleDim.Render("── after ──") + "\n" + prettyJSON(d.After) + "\n")
		}
	}
	if o.Body != "" && (o.Decision == nil || o.Decision.Before == "") {
		b.WriteString("\n" + prettyJSON(o.Body) + "\n")
	}
	if !factsFirst && len(facts) > 3 {
		b.WriteString("\n" + styleDim.Render("── facts ──") + "\n" + strings.Join(facts, " · ") + "\n")
	}
	if o.Raw != "" {
		b.WriteString("\n" + styleDim.Render("── raw SSE bytes ──") + "\n")
		b.WriteString(termtext.SafeLines(strings.TrimRight(o.Raw, "\r\n")) + "\n")
	}
	if a := o.OAuth; a != nil {
		writeOAuth(&b, a)
	}
	if h := o.HTTP; h != nil {
		b.WriteString("\n" + styleDim.Render("── HTTP ──") + "\n")
		fmt.Fprintf(&b, "%s %s → %d %s (headers after %s)\n", h.Method, termtext.Safe(h.URL), h.Status, termtext.Safe(h.ContentType), durationShort(h.HeaderLatency))
		if h.Revision != "" {
			b.WriteString("protocol revision " + termtext.Safe(h.Revision) + "\n")
		}
		if h.Error != "" {
			b.WriteString(styleError.Render(termtext.Safe(h.Error)) + "\n")
		}
		writeHeaders(&b, "request", h.RequestHeaders)
		writeHeaders(&b, "response", h.ResponseHeaders)
	}
	return strings.TrimRight(b.String(), "\n")
}

// writeOAuth shows a step of an OAuth handshake: the upstream's URL and
// what the client got instead (proxy/oauth.go).
func writeOAuth(b *strings.Builder, a *proxy.OAuthStep) {
	b.WriteString("\n" + styleDim.Render("── OAuth ──") + "\n")
	fmt.Fprintf(b, "%s of %s → %d\n", termtext.Safe(a.Step), termtext.Safe(a.URL), a.Status)
	if a.Challenge != "" {
		b.WriteString("WWW-Authenticate (upstream's): " + termtext.Safe(a.Challenge) + "\n")
	}
	if a.Original != "" {
		b.WriteString("upstream named   " + termtext.Safe(a.Original) + "\n")
	}
	if a.Rewritten != "" {
		b.WriteString(stylePaused.Render("client got       "+termtext.Safe(a.Rewritten)) + "\n")
	} else if a.Original != "" {
		b.WriteString("client got it unchanged\n")
	}
	if a.Note != "" {
		b.WriteString(termtext.Safe(a.Note) + "\n")
	}
}

func writeHeaders(b *strings.Builder, which string, h map[string][]string) {
	if len(h) == 0 {
		return
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	b.WriteString(styleDim.Render(which+" headers") + "\n")
	for _, k := range names {
		fmt.Fprintf(b, "  %s: %s\n", termtext.Safe(k), termtext.Safe(strings.Join(h[k], ", ")))
	}
}
