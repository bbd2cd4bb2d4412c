package record

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mcpscope/mcpscope/proxy"
)

// Export formats, as the CLI's --format names them.
const (
	FormatHAR      = "har"      // HAR 1.2 (HTTP Archive), one entry per HTTP exchange
	FormatMarkdown = "markdown" // a readable transcript for bug reports
	FormatJSONL    = "jsonl"    // the observations again, as a recording
)

// Formats lists the export formats.
var Formats = []string{FormatHAR, FormatJSONL, FormatMarkdown}

// ParseFormat returns the format a name stands for ("md" is markdown,
// "json-lines" and "ndjson" are jsonl; case does not matter), or an error
// listing the formats.
func ParseFormat(name string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "har":
		return FormatHAR, nil
	case "markdown", "md":
		return FormatMarkdown, nil
	case "jsonl", "json-lines", "jsonlines", "ndjson":
		return FormatJSONL, nil
	}
	return "", fmt.Errorf("unknown export format %q (want one of: %s)", name, strings.Join(Formats, ", "))
}

// Exporter writes observations (a recording, or what a UI holds) in an
// export format. The zero value is ready to use.
type Exporter struct {
	// Source names where the observations came from (a file name); the
	// Markdown transcript shows it. Empty: not shown.
	Source string
	// Version is mcpscope's version, for HAR's log.creator.version.
	// Empty means "dev".
	Version string
	// Redactor removes credentials before anything is written: exports
	// are made to be shared. Nil means NewRedactor(nil) (the default
	// credential headers and URL passwords); give one with Paths to redact
	// message fields too, or &Redactor{} to redact nothing.
	Redactor *Redactor
}

// Export writes obs in format (see ParseFormat) with the zero Exporter.
func Export(w io.Writer, obs []*Observation, format string) error {
	return Exporter{}.Export(w, obs, format)
}

// Export writes obs to w in format (see ParseFormat). Observations are
// taken in Seq order whatever order obs has; obs is not modified.
func (e Exporter) Export(w io.Writer, obs []*Observation, format string) error {
	f, err := ParseFormat(format)
	if err != nil {
		return err
	}
	switch f {
	case FormatHAR:
		return e.WriteHAR(w, obs)
	case FormatMarkdown:
		return e.WriteMarkdown(w, obs)
	default:
		return e.WriteJSONL(w, obs)
	}
}

// prepare returns obs sorted by Seq, redacted (copies where something was
// redacted; obs and its observations are left alone).
func (e Exporter) prepare(obs []*Observation) []*Observation {
	r := e.Redactor
	if r == nil {
		r = NewRedactor(nil)
	}
	out := sortedBySeq(obs)
	for i, o := range out {
		out[i] = r.Apply(o)
	}
	return out
}

// WriteJSONL writes obs as a recording: a Header line, then one
// observation per line in Seq order, redacted, every body in full (format
// version 1, which every mcpscope reads: exports are made to be shared).
// Read reads it back.
func (e Exporter) WriteJSONL(w io.Writer, obs []*Observation) error {
	sorted := e.prepare(obs)
	h := Header{Format: Format, Version: exportVersion, Redacted: e.Redactor == nil || e.Redactor.Active()}
	if len(sorted) > 0 {
		h.Started = sorted[0].Time
	}
	head, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("writing export: %w", err)
	}
	buf := append(head, '\n')
	enc := newLineEncoder(false)
	for _, o := range sorted {
		if buf, err = enc.appendLine(buf, o); err != nil {
			return fmt.Errorf("writing export: %w", err)
		}
		if len(buf) >= writeChunk {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("writing export: %w", err)
			}
			buf = reuse(buf)
		}
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("writing export: %w", err)
	}
	return nil
}

// Sessions returns the sessions obs names, in the order they first appear
// (by Seq): the session of each observation and the sessions upstreams
// issued (HTTPExchange.NewSession).
func Sessions(obs []*Observation) []string {
	var out []string
	seen := make(map[string]bool)
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, o := range sortedBySeq(obs) {
		add(o.Session)
		if o.HTTP != nil {
			add(o.HTTP.NewSession)
		}
	}
	return out
}

// SessionOf returns the observations of one session, in the order of obs:
// those that name it (or whose HTTP exchange created it: initialize runs
// before the session exists and is scoped to the client connection), and
// every observation of an HTTP exchange one of those belongs to, so an
// exchange is never cut in half. An empty session returns obs itself.
func SessionOf(obs []*Observation, session string) []*Observation {
	if session == "" {
		return obs
	}
	exchanges := make(map[string]bool)
	for _, o := range obs {
		if belongs(o, session) && o.Exchange != "" {
			exchanges[o.Exchange] = true
		}
	}
	var out []*Observation
	for _, o := range obs {
		if belongs(o, session) || o.Exchange != "" && exchanges[o.Exchange] {
			out = append(out, o)
		}
	}
	return out
}

func belongs(o *Observation, session string) bool {
	return o.Session == session || o.HTTP != nil && o.HTTP.NewSession == session
}

// sortedBySeq returns obs sorted by Seq (a copy; stable for equal Seq).
func sortedBySeq(obs []*Observation) []*Observation {
	out := slices.Clone(obs)
	slices.SortStableFunc(out, func(a, b *Observation) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	return out
}

// exchangeGroup is the observations of one HTTP exchange, in Seq order.
type exchangeGroup struct {
	id   string
	http *Observation // nil when the rules answered without the upstream
	obs  []*Observation
}

// groupExchanges groups sorted observations by exchange, in the order each
// exchange first appears.
func groupExchanges(sorted []*Observation) []*exchangeGroup {
	var groups []*exchangeGroup
	byID := make(map[string]*exchangeGroup)
	for _, o := range sorted {
		if o.Exchange == "" {
			continue
		}
		g := byID[o.Exchange]
		if g == nil {
			g = &exchangeGroup{id: o.Exchange}
			byID[o.Exchange] = g
			groups = append(groups, g)
		}
		if o.Type == proxy.TypeHTTP && g.http == nil {
			g.http = o
		}
		g.obs = append(g.obs, o)
	}
	return groups
}
