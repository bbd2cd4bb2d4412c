package ui

import (
	"sort"

	"github.com/charmbracelet/lipgloss"
)

// zoom says which pane the maximise key (z) gave the whole body.
type zoom int

const (
	zoomNone zoom = iota
	zoomTraffic
	zoomDetail
)

// rect is a pane's place on the screen, in cells; a pane with no height
// is not shown.
type rect struct{ x, y, w, h int }

// panes says where each pane goes.
type panes struct{ sessions, held, traffic, detail rect }

// layout places the panes in the body: width×height cells from screen row
// top.
//
// From 120 columns the sessions pane (with the breakpoints pane under it,
// while something is held) sits left of the traffic list and the detail
// pane; narrower, the panes stack, and the sessions pane gets a fifth of
// the height at most, so that at 80×24 the traffic list and the detail
// pane share the rest. Maximised (z), the traffic list or the detail pane
// takes the body, under the breakpoints pane while something is held.
func (m *Model) layout(top, width, height int) panes {
	var p panes
	heldHeight := 0
	if n := len(m.held.items); n > 0 {
		heldWidth := width
		if m.zoom == zoomNone && width >= 120 {
			heldWidth = width * 3 / 10
		}
		heldHeight = min(n+2+len(hintLines(m.keys.heldHints(), heldWidth-2, heldHintLines)), max(height/3, 5))
	}
	if m.zoom != zoomNone {
		p.held = rect{0, top, width, heldHeight}
		r := rect{0, top + heldHeight, width, height - heldHeight}
		if m.zoom == zoomTraffic {
			p.traffic = r
		} else {
			p.detail = r
		}
		return p
	}
	column := rect{0, top, width, height} // where traffic and detail go
	if width >= 120 {
		left := width * 3 / 10 // as heldWidth
		p.sessions = rect{0, top, left, height - heldHeight}
		p.held = rect{0, top + height - heldHeight, left, heldHeight}
		column = rect{left, top, width - left, height}
	} else {
		sessHeight := min(2+max(1, len(m.sessions.items)), max(3, height/5))
		p.sessions = rect{0, top, width, sessHeight}
		p.held = rect{0, top + sessHeight, width, heldHeight}
		column = rect{0, top + sessHeight + heldHeight, width, height - sessHeight - heldHeight}
	}
	list := max(3, column.h*55/100)
	p.traffic = rect{column.x, column.y, column.w, list}
	p.detail = rect{column.x, column.y + list, column.w, column.h - list}
	return p
}

// bodyTop is the screen row where the panes start, under the status bar.
const bodyTop = 1

// bodyHeight is the height the panes have: the screen less the status bar
// and the help bar, one line each.
func (m *Model) bodyHeight() int { return m.height - 2 }

// listHeight is the number of traffic rows on screen (for paging).
func (m *Model) listHeight() int {
	return max(1, m.layout(bodyTop, m.width, m.bodyHeight()).traffic.h-2)
}

// drawPanes draws the panes where layout put them: the frames of a column
// (same x) stacked, the columns side by side.
func (m *Model) drawPanes(p panes) string {
	type placed struct {
		r     rect
		frame string
	}
	var all []placed
	add := func(r rect, draw func() string) {
		if r.h > 0 {
			all = append(all, placed{r, draw()})
		}
	}
	add(p.sessions, func() string {
		return m.frame(m.sessions.title(), m.sessions.view(p.sessions.w-2, p.sessions.h-2, m.focus == focusSessions), p.sessions.w, p.sessions.h)
	})
	add(p.held, func() string { return m.heldFrame(p.held.w, p.held.h) })
	add(p.traffic, func() string { return m.trafficFrame(p.traffic.w, p.traffic.h) })
	add(p.detail, func() string { return m.detailFrame(p.detail.w, p.detail.h) })
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].r.x != all[j].r.x {
			return all[i].r.x < all[j].r.x
		}
		return all[i].r.y < all[j].r.y
	})
	var columns []string
	for i := 0; i < len(all); {
		j := i
		var frames []string
		for ; j < len(all) && all[j].r.x == all[i].r.x; j++ {
			frames = append(frames, all[j].frame)
		}
		columns = append(columns, lipgloss.JoinVertical(lipgloss.Left, frames...))
		i = j
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, columns...)
}
