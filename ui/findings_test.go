package ui

import (
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestFindingBadgeAndFilter: a finding is a row of its own and a badge on
// the row it is about; flag:finding shows both, even when the finding
// comes after the filter was set; the detail pane cites the rule.
func TestFindingBadgeAndFilter(t *testing.T) {
	m, _ := newTestModel(t, 140, 40)
	press(m, "/", "f", "l", "a", "g", ":", "f", "i", "n", "d", "i", "n", "g", "enter")
	if n := len(m.traffic.visible); n != 0 {
		t.Fatalf("flag:finding shows %d rows before any finding", n)
	}
	f := &proxy.Finding{Rule: "progress-not-increasing", Level: "error", Revision: "2025-11-25", Section: "Progress § Behavior Requirements",
		URL:     "https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/progress#behavior-requirements",
		Message: "progress 2 for token \"t\" after 2\x1b[31m", About: 3}
	m.Update(observationsMsg{{Seq: 100, Type: proxy.TypeFinding, Session: "s-1", Stream: "st-2", Direction: proxy.ServerToClient,
		Method: "notifications/progress", Flags: []string{proxy.FlagFinding}, Finding: f}})
	if n := len(m.traffic.visible); n != 2 {
		t.Fatalf("flag:finding shows %d rows, want the finding and the progress event it is about", n)
	}
	screen := plain(m.View())
	if !strings.Contains(screen, "⚠progress-not-increasing") || !strings.Contains(screen, "⚠ progress-not-increasing: progress 2") {
		t.Errorf("no badge or finding row on screen:\n%s", screen)
	}
	if strings.Contains(m.View(), "after 2\x1b[31m") {
		t.Errorf("the finding's message reaches the terminal unescaped")
	}
	if d := plain(renderDetail(m.traffic.ring.rows[0].obs) + renderFindings(&proxy.Observation{}, []*proxy.Finding{f})); !strings.Contains(d, "2025-11-25, Progress § Behavior Requirements: https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/progress#behavior-requirements") {
		t.Errorf("detail of the badged row does not cite the rule:\n%s", d)
	}
	press(m, "/", "esc")
	if fb := findingBadge(&m.traffic.ring.rows[2]); m.traffic.ring.rows[2].obs.Seq != 3 || fb != "⚠progress-not-increasing" {
		t.Errorf("row 3 badge %q", fb)
	}
}
