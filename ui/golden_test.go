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
)

// TestScreens runs the model in a teatest program and compares the main
// screens with golden files (testdata/TestScreens/*.golden; regenerate
// with go test ./ui -run TestScreens -update). Colours are off (a fixed
// Ascii profile) so the files read as the text a user sees.
func TestScreens(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, screen := range []struct {
			name string
			keys []string
		}{
			{"main", []string{"k"}}, // the tools/call result, in the detail pane
			{"paused", []string{"k", "k", "p", "A", "?"}},
			{"filtered", []string{"/", "p", "r", "o", "g", "enter", "tab"}},
		} {
			t.Run(fmt.Sprintf("%s_%dx%d", screen.name, size[0], size[1]), func(t *testing.T) {
				eng := newFakeEngine()
				m := New(eng, Options{Info: Info{Listen: "127.0.0.1:7331", Upstream: "http://127.0.0.1:3001/mcp"}, TickInterval: time.Hour})
				tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(size[0], size[1]))
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
