package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
)

// TestEscClearsAKeptFilter runs the UI in a teatest program: a filter kept
// with enter shows in the traffic pane's title with how many rows match of
// how many are held; esc, with the filter input closed, clears it (every
// row shows again) and says so; esc while typing clears what was typed,
// as it always did.
func TestEscClearsAKeptFilter(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	m := New(newFakeEngine(), Options{Info: Info{Listen: "127.0.0.1:7331", Upstream: "http://127.0.0.1:3001/mcp"}, TickInterval: time.Hour})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	all := len(traffic())
	tm.Send(observationsMsg(traffic()))
	wait := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(plain(string(b)), what) },
			teatest.WithDuration(5*time.Second))
	}
	wait("tools/call")
	runes := func(s string) { tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}) }

	runes("/")
	for _, r := range "prog" {
		runes(string(r))
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("Traffic — filter: prog (4 of 6; esc clears)")

	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	wait("filter prog cleared")

	runes("/")
	runes("x")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc}) // while typing: cancels and clears
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if final.filtering || final.traffic.filterText() != "" || len(final.traffic.visible) != all {
		t.Errorf("after esc: filtering %v, filter %q, %d of %d rows shown", final.filtering, final.traffic.filterText(), len(final.traffic.visible), all)
	}
	if title := plain(final.View()); !strings.Contains(title, "┌─ Traffic · following ─") {
		t.Errorf("the cleared filter is still in the title:\n%s", title)
	}
}

// TestEscWithoutFilterDoesNothing: esc with no filter changes nothing
// and says nothing (it is not a quit key).
func TestEscWithoutFilterDoesNothing(t *testing.T) {
	m, eng := newTestModel(t, 120, 40)
	before := len(m.traffic.visible)
	press(m, "esc")
	if len(m.traffic.visible) != before || m.notice != "" || len(eng.Calls()) != 0 {
		t.Errorf("esc without a filter: %d rows (want %d), notice %q, engine calls %v", len(m.traffic.visible), before, m.notice, eng.Calls())
	}
}
