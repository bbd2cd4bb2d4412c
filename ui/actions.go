package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mcpscope/mcpscope/proxy"
)

// key handles a key press.
func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	if m.filtering {
		return m.filterKey(msg)
	}
	if m.showHelp {
		if cmd, done := m.helpKey(msg); done {
			return cmd
		}
	}
	if m.stats.shown {
		if cmd, done := m.statsKey(msg); done {
			return cmd
		}
	}
	if m.focus == focusHeld {
		if cmd, done := m.heldKey(msg); done {
			return cmd
		}
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.showHelp, m.helpOffset = true, 0
	case key.Matches(msg, k.Focus):
		m.nextFocus()
	case key.Matches(msg, k.Maximise):
		m.zoom = (m.zoom + 1) % 3
		if (m.zoom != zoomNone && m.focus == focusSessions) || (m.zoom == zoomTraffic && m.focus == focusDetail) {
			m.focus = focusTraffic // the pane with focus is hidden
		}
	case key.Matches(msg, k.Up):
		m.moveBy(-1)
	case key.Matches(msg, k.Down):
		m.moveBy(1)
	case key.Matches(msg, k.PageUp):
		m.moveBy(-m.listHeight())
	case key.Matches(msg, k.PageDown):
		m.moveBy(m.listHeight())
	case key.Matches(msg, k.Top):
		m.traffic.toStart()
	case key.Matches(msg, k.Bottom):
		m.traffic.toEnd(true)
	case key.Matches(msg, k.Follow):
		m.traffic.follow = !m.traffic.follow
		if m.traffic.follow {
			m.traffic.toEnd(true)
		}
	case key.Matches(msg, k.Back):
		m.clearFilter()
	case key.Matches(msg, k.ToggleClosed):
		m.toggleClosed()
	case key.Matches(msg, k.Filter):
		m.filtering = true
		m.filter.SetValue(m.traffic.filterText())
		m.filterErr = ""
		return m.filter.Focus()
	case key.Matches(msg, k.Jump):
		if !m.traffic.jump() {
			m.say("no request/response pair for this row")
		}
	case key.Matches(msg, k.Export):
		m.exportSession()
	case key.Matches(msg, k.Stats):
		m.stats.shown, m.stats.lines = true, nil
	case key.Matches(msg, k.Resend):
		return m.resend(false)
	case key.Matches(msg, k.ResendEdit):
		return m.resend(true)
	case key.Matches(msg, k.CopyCurl):
		m.copyCurl()
	case key.Matches(msg, k.CopyMessage):
		m.copyMessage()
	case key.Matches(msg, k.DetailUp):
		m.detail.scrollBy(-5)
	case key.Matches(msg, k.DetailDown):
		m.detail.scrollBy(5)
	case m.info.ReadOnly && (key.Matches(msg, k.Pause) || key.Matches(msg, k.Step) || key.Matches(msg, k.PauseSession) || key.Matches(msg, k.PauseAll)):
		m.say(errReadOnly.Error())
	case key.Matches(msg, k.Pause):
		m.toggleStream()
	case key.Matches(msg, k.Step):
		m.step()
	case key.Matches(msg, k.PauseSession):
		m.toggleSession()
	case key.Matches(msg, k.PauseAll):
		if m.globalPause {
			m.engine.ResumeAll(actor)
			m.say("resumed everything")
		} else {
			m.engine.PauseAll(actor)
			m.say("paused everything (new streams too); A resumes")
		}
		m.refresh()
	}
	return nil
}

// nextFocus moves the focus to the next pane shown: traffic → sessions →
// breakpoints (while something is held) → traffic; maximised, the
// sessions pane is not shown.
func (m *Model) nextFocus() {
	for range 3 {
		m.focus = (m.focus + 1) % 3
		switch {
		case m.focus == focusHeld && len(m.held.items) == 0:
		case m.focus == focusSessions && m.zoom != zoomNone:
		default:
			return
		}
	}
}

// filterKey edits the filter: enter keeps it, esc clears it.
func (m *Model) filterKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEnter:
		m.filtering = false
		m.filter.Blur()
		return nil
	case tea.KeyEsc:
		m.filtering = false
		m.filter.Blur()
		m.clearFilter()
		return nil
	}
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	// Narrow as the user types; while the expression is incomplete, keep the
	// last one that parsed and say what is wrong.
	m.filterErr = ""
	if err := m.traffic.setFilter(m.filter.Value()); err != nil {
		m.filterErr = err.Error()
	}
	return cmd
}

// clearFilter drops the filter in force, typed or kept: every row shows.
func (m *Model) clearFilter() {
	was := m.traffic.filterText()
	m.filter.SetValue("")
	m.filterErr = ""
	m.traffic.setFilter("")
	if was != "" && !m.filtering {
		m.say("filter " + was + " cleared")
	}
}

func (m *Model) moveBy(delta int) {
	switch m.focus {
	case focusSessions:
		m.sessions.move(delta)
		return
	case focusHeld:
		m.held.move(delta)
		return
	case focusDetail:
		m.detail.scrollBy(delta)
		return
	}
	m.traffic.move(delta)
}

// target is the stream and session the acting keys apply to: the item
// under the sessions cursor when that pane has focus, else the selected
// row's.
func (m *Model) target() (stream, session string) {
	if m.focus == focusSessions {
		if it, ok := m.sessions.selected(); ok {
			if it.stream != nil {
				return it.stream.ID, it.session.ID
			}
			return "", it.session.ID
		}
		return "", ""
	}
	if r, ok := m.traffic.selected(); ok {
		return r.obs.Stream, r.obs.Session
	}
	return "", ""
}

func (m *Model) streamInfo(id string) (proxy.StreamInfo, bool) {
	for _, s := range m.streams {
		if s.ID == id {
			return s, true
		}
	}
	return proxy.StreamInfo{}, false
}

func (m *Model) toggleStream() {
	id, _ := m.target()
	st, ok := m.streamInfo(id)
	switch {
	case id == "":
		m.say("select a row of a stream (or a stream in the sessions pane) to pause it")
		return
	case !ok:
		m.say("stream " + id + " has ended")
		return
	case st.Paused:
		m.report("resumed "+id, m.engine.ResumeStream(id, actor))
	default:
		m.report("paused "+id+": s steps one event, p resumes", m.engine.PauseStream(id, actor))
	}
	m.refresh()
}

func (m *Model) step() {
	id, _ := m.target()
	if id == "" {
		m.say("select a stream to step")
		return
	}
	m.report("stepped "+id, m.engine.StepStream(id, actor))
	m.refresh()
}

func (m *Model) toggleSession() {
	_, session := m.target()
	if session == "" {
		m.say("select a row or session to pause its session")
		return
	}
	paused := false
	for _, it := range m.sessions.items {
		if it.stream == nil && it.session.ID == session {
			paused = it.session.Paused
		}
	}
	if paused {
		m.report("resumed session "+session, m.engine.ResumeSession(session, actor))
	} else {
		m.report("paused session "+session+" (its new streams too)", m.engine.PauseSession(session, actor))
	}
	m.refresh()
}

func (m *Model) report(done string, err error) {
	if err != nil {
		m.say(err.Error())
		return
	}
	m.say(done)
}
