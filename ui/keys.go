package ui

import "github.com/charmbracelet/bubbles/key"

// keyMap is every key the UI answers to; help renders it.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Focus, Follow, Filter, Jump             key.Binding
	Pause, Step, PauseSession, PauseAll     key.Binding
	Export                                  key.Binding
	Stats                                   key.Binding
	Resend, ResendEdit, CopyCurl            key.Binding
	DetailUp, DetailDown                    key.Binding
	Help, Quit                              key.Binding
	ClearFilter, ToggleClosed               key.Binding // s-behaviour: esc clears a kept filter; c hides/shows closed sessions
}

func newKeyMap() keyMap {
	return keyMap{
		Up:           key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:         key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:       key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown:     key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Top:          key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "oldest")),
		Bottom:       key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "newest + follow")),
		Focus:        key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "traffic → sessions → breakpoints")),
		Follow:       key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "follow")),
		Filter:       key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Jump:         key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "request ⇄ response")),
		Pause:        key.NewBinding(key.WithKeys("p", " "), key.WithHelp("p", "pause/resume stream")),
		Step:         key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "step")),
		PauseSession: key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "pause/resume session")),
		PauseAll:     key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "pause/resume all")),
		Export:       key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "export session (HAR)")),
		Stats:        key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "stats (latency, pending)")),
		Resend:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "re-send request")),
		ResendEdit:   key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "edit ($EDITOR) + re-send")),
		CopyCurl:     key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "copy as curl")),
		DetailUp:     key.NewBinding(key.WithKeys("ctrl+u", "K"), key.WithHelp("K", "detail up")),
		DetailDown:   key.NewBinding(key.WithKeys("ctrl+d", "J"), key.WithHelp("J", "detail down")),
		Help:         key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:         key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		ClearFilter:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear the filter")),
		ToggleClosed: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "hide/show closed sessions")),
	}
}

// ShortHelp is the help bar.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Pause, k.Step, k.PauseSession, k.PauseAll, k.Filter, k.Follow, k.Jump, k.Help, k.Quit}
}

// FullHelp is the "?" screen, by column.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Focus, k.Follow, k.Filter, k.Jump, k.DetailUp, k.DetailDown, k.Stats},
		{k.Pause, k.Step, k.PauseSession, k.PauseAll, k.Export, k.Help, k.Quit},
		{k.Resend, k.ResendEdit, k.CopyCurl},
	}
}
