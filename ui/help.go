package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"
)

// The "?" help takes the place of the panes. Its groups flow into as many
// columns as the width holds (a group is never split); when they do not
// fit the height that way, the help is one column that ↑/↓, pgup/pgdn,
// g/G scroll, with "more ↓" on its last line while there is more below.

const (
	helpGap  = 2 // cells between help columns
	hintSep  = " · "
	hintMore = "? more"
)

// helpKey handles a key while the help is shown; done is false for keys
// it leaves to the main map (quit).
func (m *Model) helpKey(msg tea.KeyMsg) (cmd tea.Cmd, done bool) {
	k := m.keys
	page := max(1, m.height-5)
	switch {
	case key.Matches(msg, k.Help), key.Matches(msg, k.Back):
		m.showHelp = false
	case key.Matches(msg, k.Quit):
		return nil, false
	default:
		scrollKey(k, msg, &m.helpOffset, page)
	}
	return nil, true
}

// scrollKey moves *offset (of a view that scrolls by lines, pages of
// page lines) as the movement keys ask, never below 0: G goes far down,
// for the view to clamp.
func scrollKey(k *keyMap, msg tea.KeyMsg, offset *int, page int) {
	switch {
	case key.Matches(msg, k.Up):
		*offset--
	case key.Matches(msg, k.Down):
		*offset++
	case key.Matches(msg, k.PageUp):
		*offset -= page
	case key.Matches(msg, k.PageDown):
		*offset += page
	case key.Matches(msg, k.Top):
		*offset = 0
	case key.Matches(msg, k.Bottom):
		*offset = 1 << 30
	}
	*offset = max(*offset, 0)
}

// helpFrame draws the key map in a frame of width×height.
func (m *Model) helpFrame(width, height int) string {
	w, h := width-2, height-2
	labelW, descW := 0, 0
	for _, g := range m.keys.groups {
		for _, e := range g.keys {
			hb := e.binding.Help()
			labelW = max(labelW, runewidth.StringWidth(hb.Key))
			descW = max(descW, runewidth.StringWidth(hb.Desc))
		}
	}
	colW := labelW + 2 + descW
	if cols := min(len(m.keys.groups), (w+helpGap)/(colW+helpGap)); cols > 1 || (cols == 1 && colW <= w) {
		heights := make([]int, len(m.keys.groups))
		for i, g := range m.keys.groups {
			heights[i] = 1 + len(g.keys)
		}
		if parts, tallest := partition(heights, cols); tallest <= h {
			m.helpScrolls = false
			return m.frame("Keys · ? or esc closes", m.helpColumns(parts, labelW, colW), width, height)
		}
	}
	// One column that scrolls.
	m.helpScrolls = true
	var lines []string
	for i, g := range m.keys.groups {
		if i > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, m.helpGroup(g, labelW, w)...)
	}
	m.helpOffset = min(m.helpOffset, max(0, len(lines)-h))
	shown := lines[m.helpOffset:min(len(lines), m.helpOffset+h)]
	if m.helpOffset+h < len(lines) {
		shown = append(shown[:len(shown)-1:len(shown)-1], styleDim.Render("more ↓ (↓/j, pgdn)"))
	}
	return m.frame("Keys · ↑/↓ scroll · ? or esc closes", strings.Join(shown, "\n"), width, height)
}

// helpColumns lays out the groups side by side, parts[i] groups in
// column i, each column colW cells wide.
func (m *Model) helpColumns(parts []int, labelW, colW int) string {
	var columns []string
	next := 0
	for _, n := range parts {
		var lines []string
		for i, g := range m.keys.groups[next : next+n] {
			if i > 0 {
				lines = append(lines, "")
			}
			lines = append(lines, m.helpGroup(g, labelW, colW)...)
		}
		next += n
		columns = append(columns, lipgloss.NewStyle().Width(colW+helpGap).Render(strings.Join(lines, "\n")))
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, columns...)
}

// helpGroup renders a group's title and one line per binding in width
// cells: the keys in a column labelW wide, then the description (cut
// between words when it does not fit).
func (m *Model) helpGroup(g keyGroup, labelW, width int) []string {
	lines := []string{styleTitle.Render(g.title)}
	for _, e := range g.keys {
		hb := e.binding.Help()
		label := hb.Key + strings.Repeat(" ", max(0, labelW-runewidth.StringWidth(hb.Key)))
		lines = append(lines, label+"  "+cutWords(hb.Desc, width-labelW-2))
	}
	return lines
}

// partition splits heights (of groups, in order) into at most n runs of
// consecutive groups, a blank line between groups of a run, so that the
// tallest run is as short as can be. It returns the number of groups in
// each run and the tallest run's height.
func partition(heights []int, n int) (parts []int, tallest int) {
	run := func(i, j int) int { // the height of groups i..j-1 in one column
		s := j - i - 1
		for _, h := range heights[i:j] {
			s += h
		}
		return s
	}
	var best func(i, n int) ([]int, int)
	best = func(i, n int) ([]int, int) {
		if n == 1 || len(heights)-i == 1 {
			return []int{len(heights) - i}, run(i, len(heights))
		}
		var bp []int
		bt := -1
		for j := i + 1; j <= len(heights); j++ {
			first := run(i, j)
			if j == len(heights) {
				if bt < 0 || first < bt {
					bp, bt = []int{j - i}, first
				}
				break
			}
			rest, t := best(j, n-1)
			if t = max(t, first); bt < 0 || t < bt {
				bp, bt = append([]int{j - i}, rest...), t
			}
		}
		return bp, bt
	}
	if len(heights) == 0 {
		return nil, 0
	}
	return best(0, n)
}

// hintLine renders bindings as hints ("key what", separated by " · ") in
// at most width cells: every hint when they fit, else as many whole hints
// as fit followed by "? more". Hints are never cut. A hint names the
// binding's first key; "?" lists them all.
func hintLine(bs []key.Binding, width int) string {
	plain := make([]string, len(bs))
	total := 0
	for i, b := range bs {
		plain[i] = hintKey(b) + " " + b.Help().Desc
		total += runewidth.StringWidth(plain[i])
		if i > 0 {
			total += runewidth.StringWidth(hintSep)
		}
	}
	n, used := len(bs), total
	if total > width {
		n, used = 0, runewidth.StringWidth(hintMore)
		for _, p := range plain {
			w := runewidth.StringWidth(p) + runewidth.StringWidth(hintSep)
			if used+w > width {
				break
			}
			n, used = n+1, used+w
		}
		if used > width {
			return ""
		}
	}
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(hintSep)
		}
		b.WriteString(hintKey(bs[i]) + " " + styleDim.Render(bs[i].Help().Desc))
	}
	if n < len(bs) {
		if n > 0 {
			b.WriteString(hintSep)
		}
		b.WriteString(hintMore)
	}
	return b.String()
}

// heldHintLines is how many lines of hints the breakpoints pane has at most.
const heldHintLines = 3

// hintLines flows hints into at most maxLines lines of width cells:
// whole hints, separated by " · ", the last line ending in "? more" when
// some do not fit.
func hintLines(bs []key.Binding, width, maxLines int) []string {
	var lines []string
	for len(bs) > 0 && len(lines) < maxLines {
		n, used := 0, 0
		for _, b := range bs {
			w := runewidth.StringWidth(hintKey(b) + " " + b.Help().Desc)
			if n > 0 {
				w += runewidth.StringWidth(hintSep)
			}
			if used+w > width {
				break
			}
			n, used = n+1, used+w
		}
		if n == len(bs) || n == 0 || len(lines) == maxLines-1 {
			return append(lines, hintLine(bs, width))
		}
		lines = append(lines, hintLine(bs[:n], width))
		bs = bs[n:]
	}
	return lines
}

// hintKey is the key a hint names: the binding's first.
func hintKey(b key.Binding) string {
	if ks := b.Keys(); len(ks) > 0 {
		return keyName(ks[0])
	}
	return b.Help().Key
}

// cutWords cuts plain text s to width cells between words, marking the cut
// with "…"; a first word longer than width is cut inside.
func cutWords(s string, width int) string {
	if runewidth.StringWidth(s) <= width {
		return s
	}
	cut := runewidth.Truncate(s, max(width-1, 0), "")
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		cut = strings.TrimRight(cut[:i], " ")
	}
	return cut + "…"
}
