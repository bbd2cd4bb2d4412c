package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
)

// keyMap is every key the UI answers to. It is the one source of the "?"
// help, the hints (help bar, breakpoints pane) and the README's key table
// (TestREADMEKeyTable keeps that in step): adding a key is a field here and
// a line in its group in newKeyMap.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom  key.Binding
	Focus, Jump, DetailUp, DetailDown        key.Binding
	Follow, Filter, Maximise, Stats          key.Binding
	Help, Back, ToggleClosed                 key.Binding
	Pause, Step, PauseSession, PauseAll      key.Binding
	HeldResume, HeldEdit, HeldDrop, HeldFail key.Binding
	Resend, ResendEdit, CopyCurl, Export     key.Binding
	CopyMessage                              key.Binding // y: the selected message to the clipboard (copy.go)
	Quit                                     key.Binding

	groups []keyGroup // the bindings above, in help order
}

// keyGroup is a titled group of bindings, as help shows them.
type keyGroup struct {
	title string
	keys  []keyEntry
}

// keyEntry is one binding of a group with its longer description (the
// README's); the binding's own help text is the short one the screen shows.
type keyEntry struct {
	binding *key.Binding
	doc     string
}

func newKeyMap() *keyMap {
	k := &keyMap{}
	k.groups = []keyGroup{
		{"Navigation", []keyEntry{
			bind(&k.Up, "up", "move up (in the help: scroll)", "up", "k"),
			bind(&k.Down, "down", "move down (in the help: scroll)", "down", "j"),
			bind(&k.PageUp, "page up", "a page up", "pgup", "ctrl+b"),
			bind(&k.PageDown, "page down", "a page down", "pgdown", "ctrl+f"),
			bind(&k.Top, "oldest", "jump to the oldest row", "home", "g"),
			bind(&k.Bottom, "newest + follow", "jump to the newest row and follow", "end", "G"),
			bind(&k.Focus, "next pane", "focus the next pane: traffic → sessions → breakpoints (the acting keys then apply to the session or stream under the cursor)", "tab"),
			bind(&k.Jump, "request ⇄ answer", "jump between a request and its answer", "o"),
			bind(&k.DetailUp, "detail up", "scroll the detail pane up", "K", "ctrl+u"),
			bind(&k.DetailDown, "detail down", "scroll the detail pane down", "J", "ctrl+d"),
		}},
		{"View", []keyEntry{
			bind(&k.Follow, "follow", "follow the newest row on/off", "f"),
			bind(&k.Filter, "filter", "filter the rows (see [Filter language](#filter-language)) by text (method, id, session, stream, flags); `enter` keeps the filter, `esc` clears it (while typing, or later with the input closed); the traffic pane's title shows the filter in force and how many rows match: `Traffic — filter: tool:foo (12 of 340; esc clears)`", "/"),
			bind(&k.Maximise, "maximise pane", "maximise the traffic list, then the detail pane, then back to all panes", "z"),
			bind(&k.Stats, "stats on/off", "stats: latency, errors, pending calls (live timers, HUNG past 10 s), context cost ([Stats](#stats)); `S` or `esc` goes back", "S"),
			bind(&k.Help, "all keys", "this key map (when it does not fit, ↑/↓ scroll it)", "?"),
			bind(&k.ToggleClosed, "closed sessions", "hide or show the closed sessions' rows in the sessions pane", "c"),
			bind(&k.Back, "back", "close the help or the stats view; else clear a kept filter", "esc"),
		}},
		{"Stream control", []keyEntry{
			bind(&k.Pause, "pause/resume", "pause or resume the selected stream", "p", " "),
			bind(&k.Step, "step", "step the selected (paused) stream by one event", "s"),
			bind(&k.PauseSession, "pause/resume session", "pause or resume the selected session (its new streams too)", "P"),
			bind(&k.PauseAll, "pause/resume all", "pause or resume everything", "A"),
		}},
		{"Breakpoints pane", []keyEntry{
			bind(&k.HeldResume, "resume", "resume the held message under the cursor", "enter", "r"),
			bind(&k.HeldEdit, "edit + resume", "edit the held message in `$EDITOR` (`vi` if unset), then resume it as edited", "e"),
			bind(&k.HeldDrop, "drop", "drop the held message: forward nothing", "d"),
			bind(&k.HeldFail, "answer with error", "answer the held message with the rule's error", "x"),
		}},
		{"Actions", []keyEntry{
			bind(&k.Resend, "re-send request", "re-send the selected client request or notification to its session's upstream (see \"Re-send and copy as curl\")", "r"),
			bind(&k.ResendEdit, "edit + re-send", "edit the selected client message in `$EDITOR` (`vi` if unset), then re-send it", "R"),
			bind(&k.CopyCurl, "copy as curl", "copy the selected row's HTTP exchange as a `curl` command (clipboard by OSC 52, and a file)", "C"),
			bind(&k.CopyMessage, "copy message", "copy the selected row's message, its JSON as sent (clipboard by OSC 52, and a file)", "y"),
			bind(&k.Export, "export session", "export the selected row's session (HAR, or Markdown for stdio) into the export directory (`--export-dir`; by default `~/.local/share/mcpscope/exports`); the status bar shows the file's full path", "E"),
			bind(&k.Quit, "quit", "quit", "q", "ctrl+c"),
		}},
	}
	return k
}

// bind sets *b to a binding of keys with a short help text, and returns
// its entry with the longer doc.
func bind(b *key.Binding, short, doc string, keys ...string) keyEntry {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = keyName(k)
	}
	*b = key.NewBinding(key.WithKeys(keys...), key.WithHelp(strings.Join(names, "/"), short))
	return keyEntry{binding: b, doc: doc}
}

// keyName is how help and the README write a key.
func keyName(k string) string {
	switch k {
	case "up":
		return "↑"
	case "down":
		return "↓"
	case "pgdown":
		return "pgdn"
	case " ":
		return "space"
	}
	return k
}

// hintsFor is what the help bar suggests: the keys of the focused pane
// or view, most useful first.
func (k *keyMap) hintsFor(m *Model) []key.Binding {
	switch {
	case m.showHelp && !m.helpScrolls:
		return []key.Binding{k.Back, k.Quit}
	case m.showHelp:
		return []key.Binding{k.Back, k.Down, k.Up, k.PageDown, k.PageUp, k.Quit}
	case m.stats.shown:
		return []key.Binding{k.Back, k.Down, k.Up, k.PageDown, k.PageUp, k.Quit}
	case m.zoom == zoomDetail && m.focus == focusTraffic:
		return []key.Binding{k.Down, k.Up, k.DetailDown, k.DetailUp, k.Maximise, k.Filter, k.Help, k.Quit}
	case m.focus == focusDetail: // by a click: the movement keys scroll it
		return []key.Binding{k.Down, k.Up, k.PageDown, k.PageUp, k.Focus, k.CopyMessage, k.Help, k.Quit}
	case m.focus == focusHeld:
		return k.heldHints()
	case m.focus == focusSessions:
		return []key.Binding{k.PauseSession, k.Pause, k.Step, k.PauseAll, k.Focus, k.Help, k.Quit}
	}
	if m.info.ReadOnly { // a recording: nothing to pause
		return []key.Binding{k.Filter, k.Maximise, k.Follow, k.Jump, k.Focus, k.Export, k.Help, k.Quit}
	}
	return []key.Binding{k.Pause, k.Step, k.Filter, k.Maximise, k.Follow, k.Jump, k.PauseAll, k.Focus, k.Help, k.Quit}
}

// heldHints are the breakpoints pane's keys.
func (k *keyMap) heldHints() []key.Binding {
	return []key.Binding{k.HeldResume, k.HeldEdit, k.HeldDrop, k.HeldFail, k.Focus}
}

// KeyGroup is a group of the UI's keys, as the "?" help shows it.
type KeyGroup struct {
	Title string
	Keys  []KeyHelp
}

// KeyHelp documents one binding: the keys it answers to (as help writes
// them, e.g. "↑", "space"), the label help shows for them ("↑/k"), the
// short text help shows beside it, and the README's longer description.
type KeyHelp struct {
	Keys  []string
	Label string
	Short string
	Doc   string
}

// Keys is the UI's key map, by group: what "?" shows and the README's key
// table lists.
func Keys() []KeyGroup {
	k := newKeyMap()
	out := make([]KeyGroup, 0, len(k.groups))
	for _, g := range k.groups {
		kg := KeyGroup{Title: g.title}
		for _, e := range g.keys {
			var names []string
			for _, n := range e.binding.Keys() {
				names = append(names, keyName(n))
			}
			h := e.binding.Help()
			kg.Keys = append(kg.Keys, KeyHelp{Keys: names, Label: h.Key, Short: h.Desc, Doc: e.doc})
		}
		out = append(out, kg)
	}
	return out
}
