package record

import (
	"fmt"
	"strings"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/proxy"
)

// Findings of the protocol checks (package checks) in the exports: the
// Markdown transcript lists them in a section of their own before the
// sessions (and in place among them); a HAR entry carries those about its
// exchange in "_findings".

// HARFinding is one finding about an exchange's messages or response.
type HARFinding struct {
	Seq      uint64 `json:"seq"`   // the finding's observation
	About    uint64 `json:"about"` // the observation it is about
	Rule     string `json:"rule"`
	Level    string `json:"level"`
	Revision string `json:"revision,omitempty"`
	Section  string `json:"section"`
	URL      string `json:"url"`
	Message  string `json:"message"`
}

// harFinding is o's finding for a HAR entry (false if o is no finding).
func harFinding(o *Observation) (HARFinding, bool) {
	f := o.Finding
	if o.Type != proxy.TypeFinding || f == nil {
		return HARFinding{}, false
	}
	return HARFinding{Seq: o.Seq, About: f.About, Rule: f.Rule, Level: f.Level, Revision: f.Revision, Section: f.Section, URL: f.URL, Message: f.Message}, true
}

// findingsSection writes the "Findings" section: every finding, in order.
func (m *mdWriter) findingsSection(sorted []*Observation) {
	var fs []*Observation
	for _, o := range sorted {
		if o.Type == proxy.TypeFinding && o.Finding != nil {
			fs = append(fs, o)
		}
	}
	if len(fs) == 0 {
		return
	}
	m.printf("\n## Findings\n\n%s against the MCP specification (`mcpscope check` explains; `#N` is the observation a finding is about):\n\n", plural.Count(len(fs), "finding"))
	for _, o := range fs {
		m.printf("- %s\n", findingText(o))
	}
}

// findingText is one finding in a line of Markdown.
func findingText(o *Observation) string {
	f := o.Finding
	rev := f.Revision
	if rev == "" {
		rev = "every revision"
	}
	where := ""
	if o.Session != "" {
		where = " · session " + code(o.Session)
	}
	return fmt.Sprintf("⚠ **%s** %s about #%d%s: %s — %s, [%s](%s)", cleanText(f.Rule), cleanText(f.Level), f.About, where,
		code(f.Message), rev, cleanText(f.Section), strings.ReplaceAll(cleanText(f.URL), ")", "%29"))
}
