package main

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/ui"
)

// TestTUIHelpShowsEveryKeyAt80x24: the real binary in an 80×24 terminal
// (a tmux pane): "?" shows the help in place of the panes, and every
// binding of the UI's key map is on it (its keys, then what it does), the
// help scrolled with j for as long as it says "more ↓"; "?" closes it and
// q quits.
func TestTUIHelpShowsEveryKeyAt80x24(t *testing.T) {
	requireTmux(t)
	bin := buildBinary(t)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	term := startInTmuxSized(t, 80, 24, nil, bin, "-u", up.URL, "-l", "127.0.0.1:0")
	term.waitScreen("the UI to start", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "mcpscope") && strings.Contains(s, "Traffic")
	})

	term.sendKeys("?")
	screen := term.waitScreen("the help", 10*time.Second, func(s string) bool { return strings.Contains(s, "Keys ·") })
	missing := map[string]ui.KeyHelp{}
	for _, g := range ui.Keys() {
		for _, k := range g.Keys {
			missing[k.Label+"  "+k.Short] = k
		}
	}
	for page := 0; ; page++ {
		for id, k := range missing {
			if screenShows(screen, k) {
				delete(missing, id)
			}
		}
		if !strings.Contains(screen, "more ↓") || page == 50 {
			break
		}
		term.sendKeys("j")
		before := screen
		screen = term.waitScreen("the help to scroll", 10*time.Second, func(s string) bool { return s != before })
	}
	for _, k := range missing {
		t.Errorf("the help at 80×24 never showed %q %q", k.Label, k.Short)
	}
	if t.Failed() {
		t.Fatalf("the help:\n%s", term.dump())
	}
	if n := len(strings.Split(strings.TrimRight(screen, "\n"), "\n")); n > 24 {
		t.Errorf("the screen has %d lines in a 24-line terminal", n)
	}

	term.sendKeys("?")
	term.waitScreen("? to close the help", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "Traffic") && !strings.Contains(s, "Keys ·")
	})
	term.sendKeys("q")
	if status := term.waitExit(15 * time.Second); status != 0 {
		t.Fatalf("mcpscope exited with status %d after q\n%s", status, term.dump())
	}
}

// screenShows says whether a line of screen has k's keys (as a word of
// their own) followed, after spaces, by its short description.
func screenShows(screen string, k ui.KeyHelp) bool {
	for _, line := range strings.Split(screen, "\n") {
		for i := 0; ; i++ {
			j := strings.Index(line[i:], k.Label+" ")
			if j < 0 {
				break
			}
			i += j
			before, after := line[:i], line[i+len(k.Label):]
			if (before == "" || strings.HasSuffix(before, " ") || strings.HasSuffix(before, "│")) &&
				strings.HasPrefix(strings.TrimLeft(after, " "), k.Short) {
				return true
			}
		}
	}
	return false
}
