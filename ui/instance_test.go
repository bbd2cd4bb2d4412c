package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// TestStatusBarNamesTheInstance: with a shared store, the status bar says
// which instance this is (the id other instances' streams are named by).
func TestStatusBarNamesTheInstance(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	m := New(newFakeEngine(), Options{Info: Info{Listen: "127.0.0.1:7331", Upstream: "http://u/mcp", Store: "redis://r:6379/0", Instance: "east-1"}, TickInterval: time.Hour})
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 40})
	if bar := plain(m.statusBar()); !strings.Contains(bar, "instance east-1") {
		t.Errorf("status bar %q does not name the instance", bar)
	}
	alone := New(newFakeEngine(), Options{Info: Info{Listen: "127.0.0.1:7331", Upstream: "http://u/mcp"}, TickInterval: time.Hour})
	alone.Update(tea.WindowSizeMsg{Width: 200, Height: 40})
	if bar := plain(alone.statusBar()); strings.Contains(bar, "instance") {
		t.Errorf("an instance alone: status bar %q names an instance", bar)
	}
}
