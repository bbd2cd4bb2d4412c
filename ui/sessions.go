package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/internal/termtext"
	"github.com/mcpscope/mcpscope/proxy"
)

// sessionsPane shows each session with its open streams and their state,
// from the engine's snapshot (refreshed on every tick and gate change).
type sessionsPane struct {
	items  []sessionItem
	cursor int
	offset int

	// How sessions end (sessions_ends.go).
	ended              map[string]sessionEnd        // the sessions seen to end, by id
	last               map[string]proxy.SessionInfo // the last snapshot of each session listed
	hideClosed         bool                         // c: the closed sessions' rows are hidden
	readOnly           bool                         // a recording: nothing is idle
	live, idle, closed int                          // sessions of each kind, hidden ones too, sessionless traffic apart
	sessionless        int                          // rows of sessionless traffic (client connections)
	closedRows         int                          // closed rows: sessions and sessionless
}

// sessionItem is one line: a session, or one of its streams.
type sessionItem struct {
	session proxy.SessionInfo
	stream  *proxy.StreamInfo // nil for the session line
	state   sessionState
	end     sessionEnd    // with sessionClosed
	idleFor time.Duration // with sessionIdle: since its last request
}

// maxSessionsShown bounds the sessions listed: those with open streams or
// a pause first, then the most recently seen, the idle, the closed
// (classify).
const maxSessionsShown = 50

// refresh rebuilds the items from a snapshot taken at now, keeping the
// cursor on the same session or stream when it still exists.
func (p *sessionsPane) refresh(sessions []proxy.SessionInfo, streams []proxy.StreamInfo, now time.Time) {
	var keep string
	if p.cursor < len(p.items) {
		keep = p.items[p.cursor].key()
	}
	byID := map[string][]proxy.StreamInfo{}
	for _, s := range streams {
		byID[s.Session] = append(byID[s.Session], s)
	}
	p.items = p.items[:0]
	shown := 0
	for _, it := range p.classify(sessions, now) {
		if shown == maxSessionsShown {
			break
		}
		if it.state == sessionClosed && p.hideClosed {
			continue
		}
		shown++
		p.items = append(p.items, it)
		if it.state == sessionClosed {
			continue
		}
		s := it.session
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
		if p.closedRows > 0 {
			return styleDim.Render(truncate(fmt.Sprintf("nothing live; %d closed hidden (c shows)", p.closedRows), width))
		}
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
	if p.hideClosed && p.closedRows > 0 && len(lines) < height {
		lines = append(lines, styleDim.Render(truncate(fmt.Sprintf("%d closed hidden (c shows)", p.closedRows), width)))
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
	if s.Streams == 0 && s.Requests == 0 && it.state == sessionClosed {
		activity = "" // it came and went between two snapshots: what it did is in the traffic
	}
	name := shortID(s.ID)
	switch {
	case proxy.IsSessionless(s.ID): // requestScope's client connection, not a session
		name += " sessionless"
	case s.Upstream != "":
		name += " ↔ " + shortID(s.Upstream)
	}
	text := name
	if activity != "" {
		text += "  " + activity
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
	switch it.state {
	case sessionClosed:
		return styleDim.Render(truncate(termtext.Safe("✕ "+text+"  closed: "+it.end.how), width))
	case sessionIdle:
		return styleDim.Render(truncate(termtext.Safe(text+"  idle "+durationShort(it.idleFor.Truncate(time.Second))), width))
	}
	return styleTitle.Render(truncate(termtext.Safe(text), width))
}
