package ui

import (
	"fmt"
	"sort"
	"strings"

	"mcpscope/internal/plural"
	"mcpscope/internal/termtext"
	"mcpscope/proxy"
)

// sessionsPane shows each session with its open streams and their state,
// from the engine's snapshot (refreshed on every tick and gate change).
type sessionsPane struct {
	items  []sessionItem
	cursor int
	offset int
}

// sessionItem is one line: a session, or one of its streams.
type sessionItem struct {
	session proxy.SessionInfo
	stream  *proxy.StreamInfo // nil for the session line
}

// maxSessionsShown bounds the sessions listed: those with open streams or
// a pause first, then the most recently seen.
const maxSessionsShown = 50

// refresh rebuilds the items from a snapshot, keeping the cursor on the
// same session or stream when it still exists.
func (p *sessionsPane) refresh(sessions []proxy.SessionInfo, streams []proxy.StreamInfo) {
	var keep string
	if p.cursor < len(p.items) {
		keep = p.items[p.cursor].key()
	}
	byID := map[string][]proxy.StreamInfo{}
	for _, s := range streams {
		byID[s.Session] = append(byID[s.Session], s)
	}
	sort.SliceStable(sessions, func(i, j int) bool {
		a, b := sessions[i], sessions[j]
		if (a.Streams > 0 || a.Paused) != (b.Streams > 0 || b.Paused) {
			return a.Streams > 0 || a.Paused
		}
		return a.LastSeen.After(b.LastSeen)
	})
	p.items = p.items[:0]
	for i, s := range sessions {
		if i == maxSessionsShown {
			break
		}
		p.items = append(p.items, sessionItem{session: s})
		for k := range byID[s.ID] {
			p.items = append(p.items, sessionItem{session: s, stream: &byID[s.ID][k]})
		}
	}
	p.cursor = min(p.cursor, max(0, len(p.items)-1))
	for i, it := range p.items {
		if it.key() == keep {
			p.cursor = i
		}
	}
}

func (it sessionItem) key() string {
	if it.stream != nil {
		return "stream " + it.stream.ID
	}
	return "session " + it.session.ID
}

func (p *sessionsPane) move(delta int) {
	p.cursor = min(max(p.cursor+delta, 0), max(0, len(p.items)-1))
}

// selected returns the item under the cursor.
func (p *sessionsPane) selected() (sessionItem, bool) {
	if p.cursor >= len(p.items) {
		return sessionItem{}, false
	}
	return p.items[p.cursor], true
}

func (p *sessionsPane) view(width, height int, focused bool) string {
	if len(p.items) == 0 {
		return styleDim.Render(truncate("no sessions yet", width))
	}
	if p.cursor < p.offset {
		p.offset = p.cursor
	}
	if p.cursor >= p.offset+height {
		p.offset = p.cursor - height + 1
	}
	lines := make([]string, 0, height)
	for i := p.offset; i < len(p.items) && len(lines) < height; i++ {
		line := p.items[i].line(width)
		if i == p.cursor && focused {
			line = styleSelected.Render(fixed(line, width))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// line renders one item in width cells.
func (it sessionItem) line(width int) string {
	if s := it.stream; s != nil {
		state := s.State
		if s.Paused {
			state = "⏸ " + state
		}
		text := fmt.Sprintf("  %-6s %-6s %-9s %5d ev %s", s.ID, s.Kind, state, s.Events, sizeShort(int(s.Bytes)))
		if s.HeldBytes > 0 {
			text += " held " + sizeShort(int(s.HeldBytes))
		}
		text = truncate(termtext.Safe(text), width)
		if s.Paused {
			return stylePaused.Render(text)
		}
		return text
	}
	s := it.session
	activity := plural.Count(s.Streams, "stream") // open now
	if s.Streams == 0 {
		activity = plural.Count(int(s.Requests), "request") // what it did, rather than "0 streams"
	}
	text := shortID(s.ID) + "  " + activity
	if s.Upstream != "" {
		text = shortID(s.ID) + " ↔ " + shortID(s.Upstream) + "  " + activity
	}
	if s.Name != "" {
		text += "  " + s.Transport + " " + s.Name
	}
	if s.Protocol != "" {
		text += "  " + s.Protocol
	}
	if s.Paused {
		text += "  ⏸ paused by " + s.PausedBy
	}
	return styleTitle.Render(truncate(termtext.Safe(text), width))
}
