package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"mcpscope/internal/plural"
	"mcpscope/internal/termtext"
)

// View draws the screen: status bar, sessions, traffic, detail, help.
//
// From 120 columns the sessions pane sits left of the traffic list and the
// detail pane; narrower, the panes stack. Each pane gets a titled frame.
func (m *Model) View() string {
	if m.width < 40 || m.height < 12 {
		return "mcpscope needs at least 40×12; the terminal is " + fmt.Sprintf("%d×%d", m.width, m.height)
	}
	status := m.statusBar()
	bottom := m.helpBar()
	bodyHeight := m.height - lipgloss.Height(status) - lipgloss.Height(bottom)
	if m.stats.shown {
		return lipgloss.JoinVertical(lipgloss.Left, status, m.statsFrame(m.width, bodyHeight), bottom)
	}
	var body string
	heldHeight := 0
	if n := len(m.held.items); n > 0 {
		heldHeight = min(n+3, bodyHeight/3)
	}
	if m.width >= 120 {
		left := m.width * 3 / 10
		right := m.width - left
		column := m.frame(m.sessions.title(), m.sessions.view(left-2, bodyHeight-heldHeight-2, m.focus == focusSessions), left, bodyHeight-heldHeight)
		if heldHeight > 0 {
			column = lipgloss.JoinVertical(lipgloss.Left, column, m.heldFrame(left, heldHeight))
		}
		body = lipgloss.JoinHorizontal(lipgloss.Top, column, m.trafficAndDetail(right, bodyHeight))
	} else {
		sessHeight := min(2+max(1, len(m.sessions.items)), bodyHeight/4+1)
		sessions := m.frame(m.sessions.title(), m.sessions.view(m.width-2, sessHeight-2, m.focus == focusSessions), m.width, sessHeight)
		parts := []string{sessions}
		if heldHeight > 0 {
			parts = append(parts, m.heldFrame(m.width, heldHeight))
		}
		parts = append(parts, m.trafficAndDetail(m.width, bodyHeight-sessHeight-heldHeight))
		body = lipgloss.JoinVertical(lipgloss.Left, parts...)
	}
	screen := lipgloss.JoinVertical(lipgloss.Left, status, body, bottom)
	if m.clipboard != "" {
		if time.Now().Before(m.clipboardUntil) {
			return m.clipboard + screen // zero width: the renderer passes it on with the first line
		}
		m.clipboard = ""
	}
	return screen
}

func (m *Model) heldFrame(width, height int) string {
	title := fmt.Sprintf("Breakpoints: %d held (tab to act)", len(m.held.items))
	return m.frame(title, m.held.view(width-2, height-2, m.focus == focusHeld), width, height)
}

// trafficAndDetail stacks the traffic list over the detail pane.
func (m *Model) trafficAndDetail(width, height int) string {
	listHeight := m.listHeightFor(height)
	title := "Traffic"
	if f := m.traffic.filterText(); f != "" {
		title += fmt.Sprintf(" — filter: %s (%d of %d; esc clears)", termtext.Safe(f), len(m.traffic.visible), m.traffic.ring.n)
	}
	if m.traffic.follow {
		title += " · following"
	}
	list := m.frame(title, m.traffic.view(width-2, listHeight-2, m.focus == focusTraffic), width, listHeight)
	r, _ := m.traffic.selected()
	detail := m.frame("Detail", m.detail.view(r, width-2, height-listHeight-2), width, height-listHeight)
	return lipgloss.JoinVertical(lipgloss.Left, list, detail)
}

// listHeightFor gives the traffic list 55% of the height its column has.
func (m *Model) listHeightFor(height int) int { return max(3, height*55/100) }

// listHeight is the number of traffic rows on screen (for paging).
func (m *Model) listHeight() int { return max(1, m.listHeightFor(m.height-2)-2) }

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
	if m.info.ReadOnly { // a recording: no streams, rates or upstream to speak of
		parts = append(parts, "recording "+termtext.Safe(m.info.Source), plural.Count(len(m.traffic.visible), "row"))
		return styleBar.Render(fixedStyled(strings.Join(parts, " │ "), m.width))
	}
	parts = append(parts, plural.Count(len(m.streams), "stream"), fmt.Sprintf("%.0f ev/s", m.rate.perSecond()))
	if m.dropped > 0 {
		parts = append(parts, styleError.Render(fmt.Sprintf("%d dropped", m.dropped)))
	}
	rec := "rec off"
	if m.info.Recording != "" {
		rec = "● rec " + termtext.Safe(m.info.Recording)
	}
	parts = append(parts, termtext.Safe(m.info.Listen)+" → "+termtext.Safe(m.info.Upstream), rec)
	if m.info.Store != "" {
		parts = append(parts, "sessions: "+termtext.Safe(m.info.Store))
	}
	return styleBar.Render(fixedStyled(strings.Join(parts, " │ "), m.width))
}

// helpBar is the short key map, or the filter being typed.
func (m *Model) helpBar() string {
	if m.filtering {
		line := m.filter.View()
		if m.filterErr != "" {
			line += "  " + styleError.Render(m.filterErr)
		}
		return fixedStyled(line, m.width)
	}
	if m.showHelp {
		return m.help.FullHelpView(m.keys.FullHelp())
	}
	if m.stats.shown {
		return m.help.ShortHelpView(statsHelp)
	}
	return m.help.ShortHelpView(m.keys.ShortHelp())
}

// fixedStyled pads or cuts a styled line to width cells.
func fixedStyled(s string, width int) string {
	s = truncateStyled(s, width)
	return s + strings.Repeat(" ", max(0, width-lipgloss.Width(s)))
}
