package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/internal/termtext"
)

// View draws the screen: the status bar, the body (the panes, or the
// stats view, or the "?" help in their place) and the help bar.
func (m *Model) View() string {
	if m.width < 40 || m.height < 12 {
		return "mcpscope needs at least 40×12; the terminal is " + fmt.Sprintf("%d×%d", m.width, m.height)
	}
	var body string
	switch {
	case m.showHelp:
		body = m.helpFrame(m.width, m.bodyHeight())
	case m.stats.shown:
		body = m.statsFrame(m.width, m.bodyHeight())
	default:
		body = m.drawPanes(m.layout(bodyTop, m.width, m.bodyHeight()))
	}
	screen := lipgloss.JoinVertical(lipgloss.Left, m.statusBar(), body, m.helpBar())
	if m.clipboard != "" {
		if time.Now().Before(m.clipboardUntil) {
			return m.clipboard + screen // zero width: the renderer passes it on with the first line
		}
		m.clipboard = ""
	}
	return screen
}

// heldFrame draws the breakpoints pane: the held messages, then its keys.
func (m *Model) heldFrame(width, height int) string {
	title := fmt.Sprintf("Breakpoints: %d held (%s to act)", len(m.held.items), hintKey(m.keys.Focus))
	hint := hintLines(m.keys.heldHints(), width-2, heldHintLines)
	return m.frame(title, m.held.view(width-2, height-2, m.focus == focusHeld, hint), width, height)
}

// trafficFrame draws the traffic list; its title says the filter, follow
// mode and, maximised, what z does next.
func (m *Model) trafficFrame(width, height int) string {
	title := "Traffic"
	if f := m.traffic.filterText(); f != "" {
		title += fmt.Sprintf(" — filter: %s (%d of %d; esc clears)", termtext.Safe(f), len(m.traffic.visible), m.traffic.ring.n)
	}
	if m.traffic.follow {
		title += " · following"
	}
	if m.zoom == zoomTraffic {
		title += " · " + hintKey(m.keys.Maximise) + ": detail"
	}
	return m.frame(title, m.traffic.view(width-2, height-2, m.focus == focusTraffic), width, height)
}

// detailFrame draws the selected row in full.
func (m *Model) detailFrame(width, height int) string {
	title := "Detail"
	if m.focus == focusDetail {
		title += " · ↑↓ scroll"
	}
	if m.zoom == zoomDetail {
		title += " · " + hintKey(m.keys.Maximise) + ": all panes"
	}
	r, _ := m.traffic.selected()
	return m.frame(title, m.detail.view(r, width-2, height-2), width, height)
}

// frame draws content in a box of exactly width×height with a title.
func (m *Model) frame(title, content string, width, height int) string {
	inner := lipgloss.NewStyle().Width(width - 2).Height(height - 2).MaxHeight(height - 2).Render(content)
	box := styleBorder.Render(inner)
	lines := strings.SplitN(box, "\n", 2)
	top := "┌─ " + title + " "
	if w := lipgloss.Width(top); w < width-1 {
		top += strings.Repeat("─", width-1-w) + "┐"
	} else {
		top = truncateStyled(top, width-1) + "┐"
	}
	if len(lines) == 2 {
		return top + "\n" + lines[1]
	}
	return top
}

// statusBar says where traffic goes and what is paused, how fast events
// flow and whether the UI missed any.
func (m *Model) statusBar() string {
	parts := []string{styleTitle.Render("mcpscope")}
	paused := 0
	for _, s := range m.streams {
		if s.Paused {
			paused++
		}
	}
	switch {
	case m.globalPause:
		parts = append(parts, stylePaused.Render("⏸ ALL PAUSED"))
	case paused > 0:
		parts = append(parts, stylePaused.Render(fmt.Sprintf("⏸ %d paused", paused)))
	}
	if n := len(m.held.items); n > 0 {
		parts = append(parts, stylePaused.Render(fmt.Sprintf("● %d held", n)))
	}
	if m.notice != "" && time.Now().Before(m.noticeUntil) {
		parts = append(parts, termtext.Safe(m.notice))
	}
	if m.progress != "" {
		parts = append(parts, stylePaused.Render(termtext.Safe(m.progress)))
	}
	if m.info.ReadOnly { // a recording: no streams, rates or upstream to speak of
		parts = append(parts, "recording "+termtext.Safe(m.info.Source), plural.Count(len(m.traffic.visible), "row"))
		return styleBar.Render(fixedStyled(strings.Join(parts, " │ "), m.width))
	}
	if m.info.Instance != "" { // first: the long parts after it are cut at the edge
		parts = append(parts, "instance "+termtext.Safe(m.info.Instance))
	}
	parts = append(parts, plural.Count(len(m.streams), "stream"), fmt.Sprintf("%.0f ev/s", m.rate.perSecond()))
	if m.dropped > 0 {
		parts = append(parts, styleError.Render(fmt.Sprintf("%d dropped", m.dropped)))
	}
	rec := "rec off"
	if m.info.Recording != "" {
		rec = "● rec " + termtext.Safe(m.info.Recording)
	}
	parts = append(parts, termtext.Safe(m.info.Listen)+" → "+termtext.Safe(m.info.Upstream))
	if m.info.Insecure {
		parts = append(parts, styleError.Render("⚠ TLS NOT VERIFIED (--insecure)"))
	}
	parts = append(parts, rec)
	if m.info.Store != "" {
		parts = append(parts, "sessions: "+termtext.Safe(m.info.Store))
	}
	return styleBar.Render(fixedStyled(strings.Join(parts, " │ "), m.width))
}

// helpBar is the filter being typed, or hints: the keys of the focused
// pane or view that fit, then "? more".
func (m *Model) helpBar() string {
	if m.filtering {
		line := m.filter.View()
		if m.filterErr != "" {
			line += "  " + styleError.Render(m.filterErr)
		}
		return fixedStyled(line, m.width)
	}
	return fixedStyled(hintLine(m.keys.hintsFor(m), m.width), m.width)
}

// fixedStyled pads or cuts a styled line to width cells.
func fixedStyled(s string, width int) string {
	s = truncateStyled(s, width)
	return s + strings.Repeat(" ", max(0, width-lipgloss.Width(s)))
}
