package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// How a session row ends. The engine forgets a session that ended (the
// client deleted it, the proxy answered 404 for it, its stdio server or
// client went, the client connection of sessionless traffic closed) and
// says so with a session observation; the sessions pane keeps the row,
// dimmed and marked closed, until c hides the closed ones. A session with
// no open stream, no pause and no request for idleAfter is marked idle.

// sessionState is what a session row shows of its life.
type sessionState int

const (
	sessionLive sessionState = iota
	sessionIdle
	sessionClosed
)

// idleAfter is how long a session without open streams or a pause may
// go without a request before its row says idle.
const idleAfter = time.Minute

// maxClosedKept bounds the closed sessions the pane remembers (the
// newest stay); maxLastKept bounds the sessions whose last snapshot it
// keeps, to show one that ends after the engine forgot it.
const (
	maxClosedKept = 200
	maxLastKept   = 1000
)

// sessionEnd is how and when a session ended, from its observation.
type sessionEnd struct {
	how string
	at  time.Time
}

// noteEnd remembers that session ended (o.EndsSession), for its row.
func (p *sessionsPane) noteEnd(o *proxy.Observation) {
	if p.ended == nil {
		p.ended = make(map[string]sessionEnd)
	}
	p.ended[o.Session] = sessionEnd{how: endHow(o.Reason), at: o.Time}
	if _, ok := p.last[o.Session]; !ok { // it came and went between two snapshots
		if p.last == nil {
			p.last = make(map[string]proxy.SessionInfo)
		}
		p.last[o.Session] = proxy.SessionInfo{ID: o.Session, Upstream: o.UpstreamSession, FirstSeen: o.Time, LastSeen: o.Time}
	}
	if len(p.ended) > maxClosedKept {
		oldest, at := "", time.Time{}
		for id, e := range p.ended {
			if oldest == "" || e.at.Before(at) {
				oldest, at = id, e.at
			}
		}
		delete(p.ended, oldest)
		delete(p.last, oldest)
	}
}

// endHow shortens a session observation's reason for a row.
func endHow(reason string) string {
	switch {
	case reason == "closed":
		return "deleted by the client"
	case reason == proxy.SessionlessEnded:
		return "connection closed"
	case strings.HasPrefix(reason, "stdio session ended: "):
		return strings.TrimPrefix(reason, "stdio session ended: ")
	case strings.HasPrefix(reason, "lost by the upstream"):
		return "lost by the upstream"
	}
	how, _, _ := strings.Cut(reason, ":") // "expired (…): answered 404 …"
	return how
}

// remember keeps the last snapshot of each listed session, so that one
// the engine forgot before its end observation came still has a row.
func (p *sessionsPane) remember(sessions []proxy.SessionInfo) {
	if p.last == nil {
		p.last = make(map[string]proxy.SessionInfo)
	}
	listed := make(map[string]bool, len(sessions))
	for _, s := range sessions {
		p.last[s.ID] = s
		listed[s.ID] = true
	}
	for len(p.last) > maxLastKept {
		oldest := ""
		for id, s := range p.last {
			if !listed[id] && (oldest == "" || s.LastSeen.Before(p.last[oldest].LastSeen)) {
				oldest = id
			}
		}
		if oldest == "" {
			break
		}
		delete(p.last, oldest)
	}
}

// classify orders the sessions for the pane: live ones with open streams
// or a pause first, then the other live ones, the idle and the closed,
// each by how recently seen (closed: ended); closed sessions the engine
// no longer lists join from what the pane remembers. It counts each kind.
func (p *sessionsPane) classify(sessions []proxy.SessionInfo, now time.Time) []sessionItem {
	p.remember(sessions)
	listed := make(map[string]bool, len(sessions))
	items := make([]sessionItem, 0, len(sessions)+len(p.ended))
	for _, s := range sessions {
		listed[s.ID] = true
		it := sessionItem{session: s}
		switch e, ended := p.ended[s.ID]; {
		case ended:
			it.state, it.end = sessionClosed, e
		case !p.readOnly && s.Streams == 0 && !s.Paused && now.Sub(s.LastSeen) > idleAfter:
			it.state, it.idleFor = sessionIdle, now.Sub(s.LastSeen)
		}
		items = append(items, it)
	}
	for id, e := range p.ended {
		if s, ok := p.last[id]; ok && !listed[id] {
			s.Streams, s.Paused = 0, false
			items = append(items, sessionItem{session: s, state: sessionClosed, end: e})
		}
	}
	active := func(it sessionItem) bool {
		return it.state == sessionLive && (it.session.Streams > 0 || it.session.Paused)
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if active(a) != active(b) {
			return active(a)
		}
		if a.state != b.state {
			return a.state < b.state
		}
		if a.state == sessionClosed {
			return a.end.at.After(b.end.at)
		}
		return a.session.LastSeen.After(b.session.LastSeen)
	})
	p.live, p.idle, p.closed, p.sessionless, p.closedRows = 0, 0, 0, 0, 0
	for _, it := range items {
		if it.state == sessionClosed {
			p.closedRows++
		}
		switch {
		case proxy.IsSessionless(it.session.ID): // a client connection's traffic, not a session
			p.sessionless++
		case it.state == sessionLive:
			p.live++
		case it.state == sessionIdle:
			p.idle++
		case it.state == sessionClosed:
			p.closed++
		}
	}
	return items
}

// title is the pane's frame title: "Sessions", and once some are idle or
// closed or there is sessionless traffic, how many sessions of each kind,
// the client connections of sessionless traffic apart ("Sessions 0 live ·
// 3 closed · 3 sessionless"), and whether the closed rows are hidden.
func (p *sessionsPane) title() string {
	if p.idle == 0 && p.closedRows == 0 && p.sessionless == 0 {
		return "Sessions"
	}
	parts := []string{fmt.Sprintf("Sessions %d live", p.live)}
	if p.idle > 0 {
		parts = append(parts, fmt.Sprintf("%d idle", p.idle))
	}
	if p.closed > 0 {
		parts = append(parts, fmt.Sprintf("%d closed", p.closed))
	}
	if p.sessionless > 0 {
		parts = append(parts, fmt.Sprintf("%d sessionless", p.sessionless))
	}
	if p.closedRows > 0 && p.hideClosed {
		parts = append(parts, "closed hidden")
	}
	return strings.Join(parts, " · ")
}

// toggleClosed hides or shows the closed sessions' rows.
func (m *Model) toggleClosed() {
	m.sessions.hideClosed = !m.sessions.hideClosed
	m.refresh()
	if m.sessions.hideClosed {
		m.say(fmt.Sprintf("%d closed rows hidden; c shows them", m.sessions.closedRows))
	} else {
		m.say("closed sessions shown")
	}
}
