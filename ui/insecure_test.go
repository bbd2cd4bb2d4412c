package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// TestStatusBarSaysInsecure: with --insecure the status bar says, next to
// the upstream, that its certificate is not verified; without, nothing.
func TestStatusBarSaysInsecure(t *testing.T) {
	const warning = "TLS NOT VERIFIED (--insecure)"
	for _, insecure := range []bool{false, true} {
		m := New(newFakeEngine(), Options{Info: Info{Listen: "127.0.0.1:7331", Upstream: "https://127.0.0.1:8443/mcp", Insecure: insecure}, TickInterval: time.Hour})
		m.Init()
		m.Update(tea.WindowSizeMsg{Width: 200, Height: 30})
		if got := strings.Contains(m.statusBar(), warning); got != insecure {
			t.Errorf("insecure %v: the status bar shows the warning: %v\n%s", insecure, got, m.statusBar())
		}
	}
}
