package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/mcpscope/mcpscope/proxy"
)

// goldenAt is the clock of the golden screens: the held messages' ages
// are taken at it.
var goldenAt = time.Date(2026, 11, 26, 9, 0, 30, 0, time.UTC)

// TestScreens runs the model in a teatest program and compares the main
// screens with golden files (testdata/TestScreens/*.golden; regenerate
// with go test ./ui -run TestScreens -update). Colours are off (a fixed
// Ascii profile) so the files read as the text a user sees.
func TestScreens(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	live := func() *Model {
		return New(newFakeEngine(), Options{Info: Info{Listen: "127.0.0.1:7331", Upstream: "http://127.0.0.1:3001/mcp"}, TickInterval: time.Hour})
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, screen := range []struct {
			name  string
			model func() *Model
			keys  []string
		}{
			{"main", live, []string{"k"}}, // the tools/call result, in the detail pane
			{"paused", live, []string{"k", "k", "p", "A"}},
			{"filtered", live, []string{"/", "p", "r", "o", "g", "enter", "tab"}},
			{"help", live, []string{"?"}},
			{"maximised_traffic", live, []string{"z"}},
			{"maximised_detail", live, []string{"k", "z", "z"}},
			{"breakpoints", func() *Model { // the pane focused, its keys hinted
				eng := newFakeEngine()
				eng.held = heldFixture()
				m := New(eng, Options{Info: Info{Listen: "127.0.0.1:7331", Upstream: "http://127.0.0.1:3001/mcp"}, TickInterval: time.Hour})
				m.held.clock = func() time.Time { return goldenAt }
				return m
			}, []string{"tab", "tab", "j"}},
			{"recording", func() *Model { // mcpscope open
				return New(NewRecordingEngine(traffic()), Options{Info: Info{ReadOnly: true, Source: "demo.jsonl"}, TickInterval: time.Hour})
			}, []string{"k", "k"}},
		} {
			t.Run(fmt.Sprintf("%s_%dx%d", screen.name, size[0], size[1]), func(t *testing.T) {
				tm := teatest.NewTestModel(t, screen.model(), teatest.WithInitialTermSize(size[0], size[1]))
				tm.Send(observationsMsg(traffic()))
				teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "tools/call") },
					teatest.WithDuration(5*time.Second))
				for _, k := range screen.keys {
					switch k {
					case "enter":
						tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
					case "tab":
						tm.Send(tea.KeyMsg{Type: tea.KeyTab})
					default:
						tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
					}
				}
				if err := tm.Quit(); err != nil {
					t.Fatal(err)
				}
				final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
				final.notice = "" // the notice depends on the clock
				teatest.RequireEqualOutput(t, []byte(final.View()))
			})
		}
	}
}

// heldFixture is three messages held at breakpoints, 12 s to 2 s before
// goldenAt.
func heldFixture() []proxy.HeldInfo {
	return []proxy.HeldInfo{
		{ID: "h-1", Rule: "hold echo", Since: goldenAt.Add(-12 * time.Second), Direction: proxy.ClientToServer, Method: "tools/call", MessageID: "3", Message: `{"id":3}`},
		{ID: "h-2", Rule: "hold echo", Since: goldenAt.Add(-7 * time.Second), Direction: proxy.ClientToServer, Method: "tools/call", MessageID: "4", Message: `{"id":4}`},
		{ID: "h-3", Rule: "hold sampling", Since: goldenAt.Add(-2 * time.Second), Direction: proxy.ServerToClient, Method: "sampling/createMessage", MessageID: "5", Message: `{"id":5}`},
	}
}
