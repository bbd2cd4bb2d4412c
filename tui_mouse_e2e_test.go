package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestTUIMouseClick runs the real binary in a tmux pane: it asks the
// terminal for mouse reports (button events, SGR encoding), and after a
// go-sdk client's tools/call, a left click (the report a terminal sends)
// on the request's row selects it and the detail pane shows it. With
// --no-mouse it asks for none, and a click that comes anyway selects
// nothing.
func TestTUIMouseClick(t *testing.T) {
	requireTmux(t)
	bin := buildBinary(t)
	for _, noMouse := range []bool{false, true} {
		t.Run(fmt.Sprintf("no-mouse=%v", noMouse), func(t *testing.T) {
			up := mcptest.StartUpstream(t, mcpserver.Stateful)
			args := []string{"-u", up.URL, "-l", "127.0.0.1:0"}
			if noMouse {
				args = append(args, "--no-mouse")
			}
			term := startInTmux(t, bin, args...)
			cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+term.addr+"/mcp", mcptest.ClientOptions{})
			if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "click me"}}); err != nil {
				t.Fatal(err)
			}
			screen := term.waitScreen("the tools/call request and its result", 20*time.Second, func(s string) bool {
				return strings.Contains(s, "→ tools/call") && strings.Contains(s, "← result tools/call")
			})
			flags, err := term.tmux("display-message", "-p", "-t", term.target, "#{mouse_button_flag}#{mouse_sgr_flag}")
			if want := map[bool]string{false: "11", true: "00"}[noMouse]; err != nil || strings.TrimSpace(flags) != want {
				t.Errorf("the pane's mouse reporting (button events, SGR): %q %v, want %s", flags, err, want)
			}
			if strings.Contains(screen, "kind request · direction client to server") {
				t.Fatalf("the request is selected before the click\n%s", screen)
			}
			x, y := -1, -1
			for i, line := range strings.Split(screen, "\n") {
				if j := strings.Index(line, "→ tools/call"); j >= 0 {
					x, y = len([]rune(line[:j])), i
					break
				}
			}
			term.sendKeys(fmt.Sprintf("\x1b[<0;%d;%dM\x1b[<0;%d;%dm", x+3, y+1, x+3, y+1)) // press and release, 1-based
			selected := func(s string) bool { return strings.Contains(s, "kind request · direction client to server") }
			if !noMouse {
				term.waitScreen("the clicked request in the detail pane", 10*time.Second, selected)
				return
			}
			time.Sleep(time.Second)
			if s := term.capture(); selected(s) {
				t.Errorf("with --no-mouse, a click selected the row\n%s", s)
			}
		})
	}
}
