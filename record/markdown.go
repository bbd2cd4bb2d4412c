package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/proxy"
)

// Limits of the Markdown transcript.
const (
	mdMaxLines   = 40  // lines of a pretty body before it is cut
	mdMaxLine    = 200 // characters of one body line
	mdInline     = 160 // a compact body up to this long stays on its line
	mdMaxInline  = 120 // characters of other inline values (URLs, errors)
	mdTimeLayout = "15:04:05.000"
)

// WriteMarkdown writes obs as a Markdown transcript for bug reports: a
// header (source, time span, counts), then a section per session with one
// list item per observation in Seq order — messages with their JSON
// (pretty; cut after 40 lines, with a note), HTTP exchanges, SSE events,
// stream and pause-gate changes, rule decisions — and errors marked ⚠.
// Times are UTC; the output depends on obs alone. Credentials are
// redacted (see Exporter.Redactor).
func (e Exporter) WriteMarkdown(w io.Writer, obs []*Observation) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	m := &mdWriter{w: bw}
	m.write(e.prepare(obs), e.Source)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing export: %w", err)
	}
	return nil
}

type mdWriter struct {
	w     *bufio.Writer
	stdio stdioSessions
}

func (m *mdWriter) printf(format string, args ...any) { fmt.Fprintf(m.w, format, args...) }

// mdSection is the observations shown under one heading.
type mdSection struct {
	session string // "" for what belongs to no session
	obs     []*Observation
}

func (m *mdWriter) write(sorted []*Observation, source string) {
	m.printf("# mcpscope transcript\n\n")
	if source != "" {
		m.printf("- Source: %s\n", code(source))
	}
	if len(sorted) == 0 {
		m.printf("\nNo observations.\n")
		return
	}
	m.stdio = findStdio(sorted)
	stdioMessages := 0
	first, last := sorted[0].Time.UTC(), sorted[0].Time.UTC()
	exchanges := make(map[string]bool)
	errors := 0
	for _, o := range sorted {
		t := o.Time.UTC()
		if t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
		if o.Type == proxy.TypeHTTP {
			exchanges[o.Exchange] = true
		}
		if m.isError(o) {
			errors++
		}
		if m.stdio.isMessage(o) {
			stdioMessages++
		}
	}
	endLayout := mdTimeLayout
	if first.YearDay() != last.YearDay() || first.Year() != last.Year() {
		endLayout = "2006-01-02 " + mdTimeLayout
	}
	m.printf("- Time: %s → %s UTC (%s)\n", first.Format("2006-01-02 "+mdTimeLayout), last.Format(endLayout), seconds(last.Sub(first)))
	sections := mdSections(sorted)
	sessions, closed, connections := 0, 0, 0
	for _, s := range sections {
		switch {
		case s.session == "":
		case proxy.IsSessionless(s.session):
			connections++
		default:
			sessions++
			if s.ended() {
				closed++
			}
		}
	}
	m.printf("- %s (seq %d–%d), %s", plural.Count(len(sorted), "observation"), sorted[0].Seq, sorted[len(sorted)-1].Seq,
		plural.Count(sessions, "session"))
	var about []string // of the sessions
	if closed > 0 {
		about = append(about, fmt.Sprintf("%d closed", closed))
	}
	if n := len(m.stdio.names); n > 0 {
		about = append(about, fmt.Sprintf("%d stdio, %s", n, plural.Count(stdioMessages, "stdio message")))
	}
	if len(about) > 0 {
		m.printf(" (%s)", strings.Join(about, "; "))
	}
	if connections > 0 {
		m.printf(", sessionless traffic on %s", plural.Count(connections, "client connection"))
	}
	m.printf(", %s", plural.Count(len(exchanges), "HTTP exchange"))
	if errors > 0 {
		m.printf(", ⚠ %s", plural.Count(errors, "error"))
	}
	m.printf("\n\n→ client to server, ← server to client; `#N` is an observation's seq.\n")
	m.findingsSection(sorted) // export_findings.go
	for _, s := range sections {
		name, stdio := m.stdio.names[s.session]
		switch {
		case s.session == "":
			m.printf("\n## Proxy\n\n")
		case proxy.IsSessionless(s.session):
			m.printf("\n## Sessionless traffic · client connection %s\n\n", code(s.session))
		case stdio && name != "":
			m.printf("\n## Session %s · stdio %s\n\n", code(s.session), code(name))
		case stdio:
			m.printf("\n## Session %s · stdio\n\n", code(s.session))
		default:
			m.printf("\n## Session %s\n\n", code(s.session))
		}
		for _, o := range s.obs {
			m.observation(o)
		}
	}
}

// mdSections groups observations by session, in the order sessions first
// appear. An exchange stays whole in one section: the section of the
// session it created (an initialize, sent before there was a session and
// so scoped to its client connection), else that of its first observation.
func mdSections(sorted []*Observation) []*mdSection {
	exchangeSession := make(map[string]string)
	for _, o := range sorted {
		if o.Type == proxy.TypeHTTP && o.HTTP != nil && o.HTTP.NewSession != "" && o.Exchange != "" {
			exchangeSession[o.Exchange] = o.HTTP.NewSession
		}
	}
	bySession := make(map[string]*mdSection)
	var out []*mdSection
	for _, o := range sorted {
		s := o.Session
		if o.Exchange != "" {
			if es, ok := exchangeSession[o.Exchange]; ok {
				s = es
			} else {
				exchangeSession[o.Exchange] = s
			}
		}
		sec := bySession[s]
		if sec == nil {
			sec = &mdSection{session: s}
			bySession[s] = sec
			out = append(out, sec)
		}
		sec.obs = append(sec.obs, o)
	}
	return out
}

// ended reports whether the section's session is seen to end (closed,
// expired, its stdio server gone: proxy's Observation.EndsSession).
func (s *mdSection) ended() bool {
	for _, o := range s.obs {
		if o.EndsSession() {
			return true
		}
	}
	return false
}

// isError reports whether the transcript marks o with ⚠: what isError
// says, except the usual ends of a stdio session.
func (m *mdWriter) isError(o *Observation) bool {
	if o.Type == proxy.TypeStreamClosed && o.StreamKind == proxy.StreamStdio {
		return !quietStdioEnd(o.Reason)
	}
	return isError(o)
}

// isError reports whether the transcript marks o with ⚠.
func isError(o *Observation) bool {
	switch {
	case o.Kind == proxy.KindError, o.Kind == proxy.KindInvalid, o.Has("invalid_json"):
		return true
	case o.Type == proxy.TypeHTTP && o.HTTP != nil && (o.HTTP.Error != "" || o.HTTP.Status >= 400):
		return true
	case o.Type == proxy.TypeStreamClosed && !quietEnd(o.Reason):
		return true
	case o.Type == proxy.TypeRules && o.Has("error"), o.Type == proxy.TypeDropped:
		return true
	}
	return false
}

// quietEnd reports whether a stream's end is the usual kind.
func quietEnd(reason string) bool {
	return reason == "" || reason == "upstream ended the stream" || reason == "client disconnected"
}

func (m *mdWriter) observation(o *Observation) {
	head := fmt.Sprintf("- `%s` #%d ", o.Time.UTC().Format(mdTimeLayout), o.Seq)
	if m.isError(o) {
		head += "⚠ "
	}
	switch o.Type {
	case proxy.TypeMessage, proxy.TypeSSEEvent:
		m.message(head, o)
	case proxy.TypeHTTP:
		m.http(head, o)
	case proxy.TypeStreamOpened:
		m.printf("%sstream %s opened (%s)\n", head, code(o.Stream), o.StreamKind)
	case proxy.TypeStreamClosed:
		if o.StreamKind == proxy.StreamStdio {
			m.printf("%sstdio %s closed: %s · %s from the server, %s\n", head, code(o.Stream), code(o.Reason), plural.Count(int(o.Events), "line"), byteCount(o.Bytes))
			break
		}
		m.printf("%sstream %s closed: %s · %s, %s\n", head, code(o.Stream), code(o.Reason), plural.Count(int(o.Events), "event"), byteCount(o.Bytes))
	case proxy.TypeGate:
		m.gate(head, o)
	case proxy.TypeDecision:
		m.resolution(head, o)
	case proxy.TypeRules:
		m.printf("%srules: %s\n", head, code(o.Reason))
	case proxy.TypeSession:
		m.printf("%ssession: %s\n", head, code(o.Reason))
	case proxy.TypeFinding:
		if o.Finding != nil {
			m.printf("- `%s` #%d %s\n", o.Time.UTC().Format(mdTimeLayout), o.Seq, findingText(o))
			break
		}
		m.printf("%s%s\n", head, code(string(o.Type)))
	case proxy.TypeOAuth:
		if o.OAuth != nil {
			m.printf("%soauth %s\n", head, code(o.OAuth.Summary()))
			break
		}
		m.printf("%s%s\n", head, code(string(o.Type)))
	case proxy.TypeDropped:
		m.printf("%s**%s dropped**: the recorder fell behind; the transcript has a gap at this time\n", head, plural.Count(int(o.Dropped), "observation"))
	default:
		m.printf("%s%s\n", head, code(string(o.Type)))
	}
}

func (m *mdWriter) message(head string, o *Observation) {
	var b strings.Builder
	b.WriteString(head)
	if o.Direction == proxy.ClientToServer {
		b.WriteString("→ ")
	} else {
		b.WriteString("← ")
	}
	if o.Kind != "" {
		fmt.Fprintf(&b, "**%s**", o.Kind)
		if o.Method != "" {
			b.WriteString(" " + code(o.Method))
		}
		if o.ID != "" {
			b.WriteString(" id " + code(string(o.ID)))
		}
		if name := subjectName(o); name != "" {
			b.WriteString(" " + name)
		}
		if o.RequestSeq != 0 {
			fmt.Fprintf(&b, " · answers #%d after %s", o.RequestSeq, millis(o.Latency))
		}
	} else {
		b.WriteString("SSE")
	}
	if o.Type == proxy.TypeSSEEvent {
		if o.Kind != "" {
			b.WriteString(" · SSE")
		}
		b.WriteString(" " + code(o.Stream))
		switch {
		case o.Has("comment"):
			b.WriteString(" comment")
		case o.EventType != "":
			b.WriteString(" event " + code(o.EventType))
		}
		if o.HasID {
			b.WriteString(" id " + code(o.EventID))
		}
		if o.Retry != 0 {
			fmt.Fprintf(&b, " retry %d", o.Retry)
		}
		fmt.Fprintf(&b, " · %s", byteCount(int64(o.Size)))
		if o.Gap >= time.Millisecond {
			fmt.Fprintf(&b, " · gap %s", millis(o.Gap))
		}
	} else if m.stdio.isMessage(o) {
		b.WriteString(" · stdio")
	} else if o.Stream != "" {
		b.WriteString(" · SSE " + code(o.Stream))
	}
	if o.Batch > 0 {
		fmt.Fprintf(&b, " · in a batch of %d", o.Batch)
	}
	if o.Has("local") {
		b.WriteString(" · answered by mcpscope, not the upstream")
	}
	if flags := shownFlags(o.Flags); len(flags) > 0 {
		b.WriteString(" · " + strings.Join(flags, ", "))
	}
	b.WriteString(operationText(o))
	text, lang := o.Body, "json"
	if o.Kind == "" && o.Type == proxy.TypeSSEEvent {
		text, lang = sseData(o), "text"
		switch {
		case o.Has("comment"):
			b.WriteString(": " + code(strings.TrimRight(o.Raw, "\r\n")))
			text = ""
		case o.Has("oversized") || o.Has("incomplete"):
			text = o.Raw
		case text == "":
			b.WriteString(" (empty data)")
		}
	}
	inline, block := renderBody(text, lang)
	if inline != "" {
		b.WriteString(": " + inline)
	}
	m.printf("%s\n", b.String())
	if block != "" {
		m.w.WriteString(block)
	}
	if d := o.Decision; d != nil {
		m.decision(d)
	}
}

// subjectName names what a request is about: the tool, prompt or resource.
func subjectName(o *Observation) string {
	if o.Kind != proxy.KindRequest || o.Body == "" {
		return ""
	}
	var msg struct {
		Params struct {
			Name string `json:"name"`
			URI  string `json:"uri"`
		} `json:"params"`
	}
	if json.Unmarshal([]byte(o.Body), &msg) != nil {
		return ""
	}
	switch {
	case o.Method == "tools/call" && msg.Params.Name != "":
		return "tool " + code(msg.Params.Name)
	case o.Method == "prompts/get" && msg.Params.Name != "":
		return "prompt " + code(msg.Params.Name)
	case msg.Params.URI != "":
		return "resource " + code(msg.Params.URI)
	}
	return ""
}

// shownFlags are the flags worth a word in the transcript.
func shownFlags(flags []string) []string {
	var out []string
	for _, f := range flags {
		switch f {
		case "comment", "local":
		case "invalid_json":
			out = append(out, "**invalid JSON**")
		default:
			out = append(out, code(f))
		}
	}
	return out
}

// decision notes what the rules did to the message just written.
func (m *mdWriter) decision(d *proxy.Decision) {
	rules := make([]string, len(d.Rules))
	for i, r := range d.Rules {
		rules[i] = code(r)
	}
	word := "rule"
	if len(rules) > 1 {
		word = "rules"
	}
	line := fmt.Sprintf("  - %s %s → **%s**", word, strings.Join(rules, ", "), d.Action)
	if d.Note != "" {
		line += " (" + code(d.Note) + ")"
	}
	m.printf("%s\n", line)
	if d.Before != "" && d.Before != d.After {
		inline, block := renderBody(d.Before, "json")
		if inline != "" {
			m.printf("  - before: %s\n", inline)
		} else {
			m.printf("  - before:\n")
			m.w.WriteString(indent(block, "  "))
		}
	}
}

func (m *mdWriter) http(head string, o *Observation) {
	h := o.HTTP
	if h == nil {
		m.printf("%sHTTP (no details) · %s\n", head, code(o.Exchange))
		return
	}
	var b strings.Builder
	b.WriteString(head)
	fmt.Fprintf(&b, "**HTTP** %s", code(h.Method+" "+h.URL))
	if h.Status != 0 {
		fmt.Fprintf(&b, " → **%d**", h.Status)
	}
	if h.Error != "" {
		b.WriteString(" failed: " + code(h.Error))
	} else {
		if h.ContentType != "" {
			b.WriteString(" " + code(h.ContentType))
		}
		fmt.Fprintf(&b, " · headers after %s", millis(h.HeaderLatency))
	}
	v := h.Revision // the header's, else the request's _meta or its session's
	if v == "" {
		v = firstHeader(h.RequestHeaders, "Mcp-Protocol-Version")
	}
	if v != "" {
		b.WriteString(" · protocol " + code(v))
	}
	if h.NewSession != "" {
		b.WriteString(" · new session " + code(h.NewSession))
	}
	b.WriteString(" · " + code(o.Exchange))
	m.printf("%s\n", b.String())
}

func (m *mdWriter) gate(head string, o *Observation) {
	g := o.Gate
	if g == nil {
		m.printf("%sgate change\n", head)
		return
	}
	var what string
	switch {
	case g.Scope == "all":
		what = "everything"
	case g.Scope == "session" || o.Stream == "":
		what = "session " + code(o.Session)
	default:
		what = "stream " + code(o.Stream)
	}
	by := ""
	if g.By != "" {
		by = " by " + code(g.By)
	}
	switch g.Action {
	case "pause":
		m.printf("%s⏸ **paused** %s%s\n", head, what, by)
	case "resume":
		m.printf("%s▶ **resumed** %s%s%s\n", head, what, by, pausedFor(o, g))
	case "step":
		m.printf("%s⏭ **stepped** %s%s (one event)\n", head, what, by)
	case "held":
		m.printf("%s⏸ stream %s held at its gate · %s held\n", head, code(o.Stream), byteCount(g.HeldBytes))
	case "released":
		m.printf("%s▶ stream %s released%s\n", head, code(o.Stream), pausedFor(o, g))
	default:
		m.printf("%sgate %s %s%s\n", head, code(g.Action), what, by)
	}
}

func pausedFor(o *Observation, g *proxy.GateChange) string {
	if g.Since.IsZero() {
		return ""
	}
	return " after " + seconds(o.Time.Sub(g.Since)) + " paused"
}

// resolution writes a breakpoint's outcome.
func (m *mdWriter) resolution(head string, o *Observation) {
	d := o.Decision
	if d == nil {
		m.printf("%sdecision\n", head)
		return
	}
	var b strings.Builder
	b.WriteString(head)
	fmt.Fprintf(&b, "**%s**", d.Action)
	for _, r := range d.Rules {
		b.WriteString(" " + code(r))
	}
	if o.Method != "" {
		b.WriteString(" on " + code(o.Method))
	}
	if o.ID != "" {
		b.WriteString(" id " + code(string(o.ID)))
	}
	if o.RequestSeq != 0 {
		fmt.Fprintf(&b, " (#%d)", o.RequestSeq)
	}
	if d.Note != "" {
		b.WriteString(": " + code(d.Note))
	}
	m.printf("%s\n", b.String())
	if d.After != "" && d.After != d.Before {
		inline, block := renderBody(d.After, "json")
		if inline != "" {
			m.printf("  - sent instead: %s\n", inline)
		} else {
			m.printf("  - sent instead:\n")
			m.w.WriteString(indent(block, "  "))
		}
	}
}

// renderBody returns a body either as an inline code span (short JSON) or
// as a fenced block indented for a list item (pretty JSON, or text), cut
// after mdMaxLines lines.
func renderBody(text, lang string) (inline, block string) {
	if text == "" {
		return "", ""
	}
	pretty := text
	if lang == "json" {
		var compact bytes.Buffer
		if json.Compact(&compact, []byte(text)) == nil {
			if compact.Len() <= mdInline {
				return codeSpan(compact.String(), mdInline), ""
			}
			var buf bytes.Buffer
			json.Indent(&buf, compact.Bytes(), "", "  ")
			pretty = buf.String()
		} else {
			lang = "text"
		}
	}
	if lang == "text" && len(text) <= mdInline && !strings.ContainsAny(text, "\r\n") {
		return codeSpan(text, mdInline), ""
	}
	pretty = cleanText(strings.TrimRight(pretty, "\r\n"))
	lines := strings.Split(strings.ReplaceAll(pretty, "\r\n", "\n"), "\n")
	cut := 0
	if len(lines) > mdMaxLines {
		cut = len(lines) - mdMaxLines
		lines = lines[:mdMaxLines]
	}
	for i, l := range lines {
		if utf8.RuneCountInString(l) > mdMaxLine {
			lines[i] = string([]rune(l)[:mdMaxLine]) + "…"
		}
	}
	fence := fenceFor(strings.Join(lines, "\n"))
	var b strings.Builder
	fmt.Fprintf(&b, "  %s%s\n", fence, lang)
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	b.WriteString("  " + fence + "\n")
	if cut > 0 {
		fmt.Fprintf(&b, "  *(%s more cut; the recording has the whole message)*\n", plural.Count(cut, "line"))
	}
	return "", b.String()
}

// fenceFor returns a code fence longer than any run of backticks in s.
func fenceFor(s string) string {
	return strings.Repeat("`", max(3, longestBackticks(s)+1))
}

func longestBackticks(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

func indent(block, prefix string) string {
	lines := strings.SplitAfter(block, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	return b.String()
}

// code returns s as an inline code span: on one line, control characters
// shown escaped, cut after mdMaxInline characters.
func code(s string) string { return codeSpan(s, mdMaxInline) }

// codeSpan is code cutting after limit characters.
func codeSpan(s string, limit int) string {
	s = cleanText(s)
	s = strings.NewReplacer("\r\n", "⏎", "\n", "⏎", "\r", "⏎", "\t", " ").Replace(s)
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	if s == "" {
		return "``"
	}
	fence := strings.Repeat("`", longestBackticks(s)+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || fence != "`" {
		return fence + " " + s + " " + fence
	}
	return "`" + s + "`"
}

// cleanText makes network text safe to show: invalid UTF-8 replaced,
// control characters other than CR, LF and tab escaped (terminal escape
// sequences included).
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	clean := true
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func byteCount(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// millis formats a short duration in ms, to the microsecond, and a
// longer one in seconds, to the millisecond.
func millis(d time.Duration) string {
	if d >= time.Second || d <= -time.Second {
		return seconds(d)
	}
	return strconv.FormatFloat(ms(d), 'f', -1, 64) + " ms"
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3f s", d.Seconds())
}

// operationText describes the operation a message belongs to (MRTR rounds,
// a task and its polling), or "" when none.
func operationText(o *Observation) string {
	if o.Operation == "" {
		return ""
	}
	s := " · operation " + code(o.Operation)
	if o.Round > 0 {
		s += fmt.Sprintf(" round %d", o.Round)
	}
	if o.ThinkTime > 0 {
		s += " after " + millis(o.ThinkTime) + " of client think time"
	}
	return s
}
