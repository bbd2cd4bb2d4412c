package main

import (
	"strings"
	"testing"
	"time"
)

// TestTUIDemo runs `mcpscope demo` in a tmux pane: the UI comes up, starts
// the demo server and client (their progress in the status bar), and the
// client's calls show as rows, the progress line gone.
func TestTUIDemo(t *testing.T) {
	requireTmux(t)
	bin := buildBinary(t)
	term := startInTmux(t, bin, "demo", "-l", "127.0.0.1:0", "--every", "200ms")
	term.waitScreen("the demo client's calls in the traffic list, the start-up progress gone", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "→ tools/call") && strings.Contains(s, "← result tools/call") &&
			!strings.Contains(s, "starting the demo server") && !strings.Contains(s, "demo client connecting")
	})
	term.sendKeys("q")
	if status := term.waitExit(10 * time.Second); status != 0 {
		t.Errorf("mcpscope demo exited with %d\n%s", status, term.dump())
	}
}
