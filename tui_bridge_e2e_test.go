package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestBridgeTUI: mcpscope -- CMD with the UI in a real terminal (tmux):
// the go-sdk HTTP client calls the stdio server through it, the header
// names the command and the traffic shows the call; q quits with status 0
// and the session's child does not outlive mcpscope.
func TestBridgeTUI(t *testing.T) {
	requireTmux(t)
	bin := buildBinary(t)
	term := startInTmux(t, bin, append([]string{"-l", "127.0.0.1:0", "--"}, mcptest.StdioServerCommand("sdk")...)...)
	term.waitScreen("the UI to start", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "Traffic") && strings.Contains(s, "→ stdio:")
	})
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+term.addr+"/mcp", mcptest.ClientOptions{})
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "tui"}}); err != nil {
		t.Fatalf("echo through the bridge: %v\n%s", err, term.dump())
	}
	term.waitScreen("the tools/call in the traffic", 10*time.Second, func(s string) bool { return strings.Contains(s, "tools/call") })
	pid := childOf(t, bin)
	term.sendKeys("q")
	if status := term.waitExit(15 * time.Second); status != 0 {
		t.Fatalf("mcpscope exited with status %d after q\n%s", status, term.dump())
	}
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("the session's child %d after mcpscope quit: %v, want it gone", pid, err)
	}
}

// childOf returns the pid of the mcptest stdio server whose parent runs
// bin.
func childOf(t *testing.T, bin string) int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err1 := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		cmdline, err2 := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err1 != nil || err2 != nil || !bytes.Contains(cmdline, []byte("-mcptest.stdio-server")) {
			continue
		}
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		parent, _ := os.ReadFile(filepath.Join("/proc", fields[1], "cmdline"))
		if bytes.HasPrefix(parent, []byte(bin+"\x00")) {
			return pid
		}
	}
	t.Fatalf("no stdio server started by %s", bin)
	return 0
}
