package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mcpscope/mcpscope/stats"
)

// statsPane is the stats view (key S): per method and per tool figures,
// the pending calls with their age (a live timer), and the context cost.
// The table is fed by observe, on the UI's own goroutine: it costs the
// data path nothing (observers never steer it). The lines shown are
// rendered again on each tick (and when the view opens or the width
// changes), not on every batch of traffic: a frame only copies them.
type statsPane struct {
	table  *stats.Table
	shown  bool
	offset int              // the first line on screen
	clock  func() time.Time // time.Now; tests set it

	lines         []stats.Line // rendered at width
	width         int
	pending, hung int
}

// refreshStats renders the lines again, if the view is shown.
func (m *Model) refreshStats(width int) {
	s := &m.stats
	if !s.shown {
		return
	}
	snap := s.table.Snapshot(m.statsNow())
	s.lines, s.width = stats.Lines(snap, width), width
	s.pending, s.hung = len(snap.Pending), 0
	for _, c := range snap.Pending {
		if c.Hung {
			s.hung++
		}
	}
}

// statsKey handles a key while the stats view is shown; done is false
// for keys it leaves to the main map (quit, help).
func (m *Model) statsKey(msg tea.KeyMsg) (cmd tea.Cmd, done bool) {
	k, s := m.keys, &m.stats
	page := max(1, m.height-6)
	switch {
	case key.Matches(msg, k.Stats), key.Matches(msg, k.Back):
		s.shown = false
	case key.Matches(msg, k.Quit), key.Matches(msg, k.Help):
		return nil, false
	default:
		scrollKey(k, msg, &s.offset, page)
	}
	return nil, true
}

// statsNow is the moment pending ages are taken at: now, or for a
// recording (mcpscope open) the time of its last observation.
func (m *Model) statsNow() time.Time {
	if m.info.ReadOnly {
		return m.stats.table.Last()
	}
	if m.stats.clock != nil {
		return m.stats.clock()
	}
	return time.Now()
}

// statsFrame draws the stats view in width×height.
func (m *Model) statsFrame(width, height int) string {
	if m.stats.lines == nil || m.stats.width != width-2 {
		m.refreshStats(width - 2)
	}
	lines := m.stats.lines
	inner := height - 2
	m.stats.offset = min(m.stats.offset, max(0, len(lines)-inner))
	title := fmt.Sprintf("Stats · %d pending", m.stats.pending)
	if m.stats.hung > 0 {
		title += " · " + stylePaused.Render(fmt.Sprintf("%d HUNG", m.stats.hung))
	}
	var b strings.Builder
	for i, l := range lines[m.stats.offset:min(len(lines), m.stats.offset+inner)] {
		if i > 0 {
			b.WriteByte('\n')
		}
		switch {
		case l.Hung:
			b.WriteString(stylePaused.Render(l.Text))
		case l.Heading:
			b.WriteString(styleTitle.Render(l.Text))
		case l.Error:
			b.WriteString(styleError.Render(l.Text))
		default:
			b.WriteString(l.Text)
		}
	}
	return m.frame(title, b.String(), width, height)
}
