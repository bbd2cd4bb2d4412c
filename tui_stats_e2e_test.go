package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestTUIStatsView runs the real binary in a tmux pane: a go-sdk client
// calls a 40 ms tool three times and then one that never returns; S shows
// the stats view with the tool's p50 (never below 40 ms) and the hung call
// pending, its timer growing on screen; S goes back to the traffic.
func TestTUIStatsView(t *testing.T) {
	requireTmux(t)
	bin := buildBinary(t)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	mcptest.AddDelayTool(up.Server, "fast", 40*time.Millisecond)
	t.Cleanup(mcptest.AddHangTool(up.Server, "hang"))
	term := startInTmux(t, bin, "-u", up.URL, "-l", "127.0.0.1:0")
	term.waitScreen("the UI to start", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "mcpscope") && strings.Contains(s, "Traffic")
	})
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+term.addr+"/mcp", mcptest.ClientOptions{})
	for range 3 {
		if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "fast"}); err != nil {
			t.Fatal(err)
		}
	}
	go cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "hang"}) // ends when the test's context does

	term.sendKeys("S")
	fast := regexp.MustCompile(`\s{2}fast\s+3\s+·\s+·\s+(\d+)ms\s`)
	timer := regexp.MustCompile(`\s(\d+\.\d)s\s+tools/call:hang`)
	screen := term.waitScreen("the stats view with the fast tool's row and the pending call", 20*time.Second, func(s string) bool {
		return fast.MatchString(s) && timer.MatchString(s) && strings.Contains(s, "Stats · ")
	})
	if p50, _ := strconv.Atoi(fast.FindStringSubmatch(screen)[1]); p50 < 40 || p50 > 200 {
		t.Errorf("the fast tool's p50 reads %d ms, want [40, 200]\n%s", p50, screen)
	}
	first, _ := strconv.ParseFloat(timer.FindStringSubmatch(screen)[1], 64)
	term.waitScreen("the pending call's timer to grow by a second", 10*time.Second, func(s string) bool {
		m := timer.FindStringSubmatch(s)
		if m == nil {
			return false
		}
		now, _ := strconv.ParseFloat(m[1], 64)
		return now >= first+1
	})
	term.sendKeys("S")
	term.waitScreen("the traffic again", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "Traffic") && !strings.Contains(s, "METHOD / TOOL")
	})
}
