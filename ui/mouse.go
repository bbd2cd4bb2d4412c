package ui

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/mattn/go-runewidth"
)

// wheelStep is how many rows (or detail lines) one wheel notch scrolls.
const wheelStep = 3

// pane names a framed pane on the screen, by the start of its title.
type pane string

const (
	paneTraffic  pane = "Traffic"
	paneSessions pane = "Sessions"
	paneHeld     pane = "Breakpoints"
	paneDetail   pane = "Detail"
)

// mouse handles a mouse event (with Options.NoMouse, none: the terminal
// does not send them then, and one that comes anyway is ignored): a left
// click focuses the pane under the pointer and, in a
// list, selects the row clicked; the wheel scrolls the pane under the
// pointer without moving the focus. Over the help, the stats view or
// while a filter is typed, the mouse does nothing.
func (m *Model) mouse(msg tea.MouseMsg) {
	if m.noMouse || m.filtering || m.showHelp || m.stats.shown {
		return
	}
	p, row, ok := m.paneAt(msg.X, msg.Y)
	if !ok {
		return
	}
	switch {
	case msg.Button == tea.MouseButtonWheelUp:
		m.scrollPane(p, -wheelStep)
	case msg.Button == tea.MouseButtonWheelDown:
		m.scrollPane(p, wheelStep)
	case msg.Button == tea.MouseButtonLeft && msg.Action == tea.MouseActionPress:
		m.click(p, row)
	}
}

// click focuses p and selects its row-th line on screen (from 0; -1, the
// frame: focus only).
func (m *Model) click(p pane, row int) {
	switch p {
	case paneTraffic:
		m.focus = focusTraffic
		if k := m.traffic.offset + row; row >= 0 && k < len(m.traffic.visible) {
			m.traffic.sel, m.traffic.follow = m.traffic.visible[k], false
		}
	case paneSessions:
		m.focus = focusSessions
		if k := m.sessions.offset + row; row >= 0 && k < len(m.sessions.items) {
			m.sessions.cursor = k
		}
	case paneHeld:
		if len(m.held.items) == 0 {
			return
		}
		m.focus = focusHeld
		if row >= 0 && row < len(m.held.items) {
			m.held.cursor = row
		}
	case paneDetail:
		m.focus = focusDetail
	}
}

// scrollPane moves p's view by delta rows.
func (m *Model) scrollPane(p pane, delta int) {
	switch p {
	case paneTraffic:
		m.traffic.move(delta)
	case paneSessions:
		m.sessions.move(delta)
	case paneHeld:
		m.held.move(delta)
	case paneDetail:
		m.detail.scrollBy(delta)
	}
}

// paneAt finds the pane drawn at cell (x, y) of the screen and the line of
// its content there (-1 on its frame). It reads the screen View draws now
// (the frame last shown: the state has not changed since), finding each
// pane by its frame's top-left corner and title, so it follows whatever
// layout View chose. A frame drawn inside another pane's content (text of
// a message) is not a pane.
func (m *Model) paneAt(x, y int) (pane, int, bool) {
	lines := strings.Split(ansi.Strip(m.View()), "\n")
	cells := make([][]rune, len(lines))
	for i, l := range lines {
		cells[i] = toCells(l)
	}
	type box struct{ left, top, right, bottom int }
	var found []box
	inside := func(c, r int) bool {
		for _, b := range found {
			if c >= b.left && c <= b.right && r >= b.top && r <= b.bottom {
				return true
			}
		}
		return false
	}
	for r, line := range cells {
		for c := 0; c+2 < len(line); c++ {
			if line[c] != '┌' || line[c+1] != '─' || line[c+2] != ' ' || inside(c, r) {
				continue
			}
			b := box{left: c, top: r, right: -1, bottom: -1}
			for e := c + 1; e < len(line); e++ {
				if line[e] == '┐' {
					b.right = e
					break
				}
			}
			for d := r + 1; d < len(cells); d++ {
				if c < len(cells[d]) && cells[d][c] == '└' {
					b.bottom = d
					break
				}
			}
			if b.right < 0 || b.bottom < 0 {
				continue
			}
			found = append(found, b)
			if x < b.left || x > b.right || y < b.top || y > b.bottom {
				continue
			}
			title := string(line[c+3 : b.right])
			for _, p := range []pane{paneTraffic, paneSessions, paneHeld, paneDetail} {
				if strings.HasPrefix(title, string(p)) {
					row := y - b.top - 1
					if y == b.bottom {
						row = -1
					}
					return p, row, true
				}
			}
			return "", 0, false
		}
	}
	return "", 0, false
}

// toCells spreads a line without escapes over the terminal cells it
// takes: a wide character fills its first cell, 0 the next.
func toCells(line string) []rune {
	cells := make([]rune, 0, len(line))
	for _, r := range line {
		cells = append(cells, r)
		for range runewidth.RuneWidth(r) - 1 {
			cells = append(cells, 0)
		}
	}
	return cells
}
