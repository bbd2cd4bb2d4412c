package ui

import (
	"sort"
	"strings"

	"github.com/mcpscope/mcpscope/internal/termtext"
	"github.com/mcpscope/mcpscope/proxy"
)

// Findings of the protocol checks (package checks) show twice: as a row
// of their own (labelled with the rule), and as a badge "⚠rule" on the
// row they are about, which the filter flag:finding then matches too.

// maxBadges bounds the findings a row keeps for its badge and detail.
const maxBadges = 8

// noteFinding badges the row a finding is about, if the list still holds
// it, and shows it if the filter now matches it.
func (t *trafficList) noteFinding(o *proxy.Observation) {
	f := o.Finding
	if f == nil || f.About == 0 {
		return
	}
	i, ok := t.bySeq[f.About]
	if !ok {
		return
	}
	r, ok := t.ring.at(i)
	if !ok || len(r.findings) >= maxBadges {
		return
	}
	was := t.matches(r)
	r.findings = append(r.findings, f)
	if !was && t.matches(r) {
		p := sort.SearchInts(t.visible, i)
		t.visible = append(t.visible, 0)
		copy(t.visible[p+1:], t.visible[p:])
		t.visible[p] = i
	}
}

// findingBadge is the badge of a row findings are about ("" if none).
func findingBadge(r *row) string {
	if len(r.findings) == 0 {
		return ""
	}
	rules := make([]string, 0, len(r.findings))
	for _, f := range r.findings {
		rules = append(rules, f.Rule)
	}
	return "⚠" + strings.Join(rules, ",")
}

// findingLabel labels a finding's own row.
func findingLabel(o *proxy.Observation) string {
	if o.Finding == nil {
		return "finding"
	}
	return "⚠ " + o.Finding.Rule + ": " + o.Finding.Message
}

// renderFindings describes the findings about a row, or a finding row's
// own, for the detail pane.
func renderFindings(o *proxy.Observation, about []*proxy.Finding) string {
	fs := about
	if o.Finding != nil {
		fs = []*proxy.Finding{o.Finding}
	}
	if len(fs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n")
	for _, f := range fs {
		rev := f.Revision
		if rev == "" {
			rev = "every revision"
		}
		b.WriteString(styleError.Render("⚠ "+termtext.Safe(f.Rule)+" ("+f.Level+")") + " " + termtext.Safe(f.Message) + "\n")
		b.WriteString(styleDim.Render("  "+rev+", "+termtext.Safe(f.Section)+": "+termtext.Safe(f.URL)) + "\n")
		if o.Finding != nil && f.About != 0 {
			b.WriteString(styleDim.Render("  about the observation at seq ") + itoa(f.About) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
