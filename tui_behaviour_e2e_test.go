package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// TestTUIQuitAnswersHeldRequest runs the real binary in a tmux pane: a
// go-sdk client's tools/call is held at a breakpoint, the user presses q,
// and the client's CallTool returns mcpscope's JSON-RPC error, not a
// transport failure; mcpscope exits 0.
func TestTUIQuitAnswersHeldRequest(t *testing.T) {
	requireTmux(t)
	bin := buildBinary(t)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	rulesFile := filepath.Join(t.TempDir(), "rules.yaml")
	writeFile(t, rulesFile, "- name: stop echo\n  match: tool:echo\n  action: breakpoint\n  timeout: 1h\n")
	term := startInTmux(t, bin, "-u", up.URL, "-l", "127.0.0.1:0", "--rules", rulesFile)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+term.addr+"/mcp", mcptest.ClientOptions{})
	called := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}})
		called <- err
	}()
	term.waitScreen("the call held", 20*time.Second, func(s string) bool { return strings.Contains(s, "● 1 held") })
	term.sendKeys("q")
	select {
	case err := <-called:
		var rpcErr *jsonrpc.Error
		if !errors.As(err, &rpcErr) || rpcErr.Code != proxy.StoppedCode || rpcErr.Message != proxy.StoppedMessage {
			t.Errorf("CallTool returned %v, want the JSON-RPC error %d %q", err, proxy.StoppedCode, proxy.StoppedMessage)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("CallTool did not return after q\n%s", term.dump())
	}
	if status := term.waitExit(20 * time.Second); status != 0 {
		t.Errorf("mcpscope exited with %d\n%s", status, term.dump())
	}
}

// TestTUIExportGoesToExportDir runs the real binary in a tmux pane with
// --export-dir: E writes the selected row's session there (the directory
// is created, 0700), not into the working directory, and the status bar
// names the file by its full path.
func TestTUIExportGoesToExportDir(t *testing.T) {
	requireTmux(t)
	bin := buildBinary(t)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	dir := filepath.Join(t.TempDir(), "ex")
	term := startInTmux(t, bin, "-u", up.URL, "-l", "127.0.0.1:0", "--export-dir", dir)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+term.addr+"/mcp", mcptest.ClientOptions{})
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}}); err != nil {
		t.Fatal(err)
	}
	term.waitScreen("the call's answer", 20*time.Second, func(s string) bool { return strings.Contains(s, "result tools/call echo") })
	term.sendKeys("E")
	screen := term.waitScreen("the export's notice", 20*time.Second, func(s string) bool { return strings.Contains(s, "exported to ") })
	matches, _ := filepath.Glob(filepath.Join(dir, "mcpscope-*.har"))
	if len(matches) != 1 {
		t.Fatalf("E wrote %v into %s\n%s", matches, dir, term.dump())
	}
	if want := "exported to " + matches[0]; !strings.Contains(strings.ReplaceAll(screen, "\n", ""), want[:min(len(want), 100)]) {
		t.Errorf("the status bar does not give the full path %s:\n%s", matches[0], screen)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("the export directory: %v, %v; want it made 0700", st, err)
	}
	term.sendKeys("q")
	if status := term.waitExit(20 * time.Second); status != 0 {
		t.Errorf("mcpscope exited with %d\n%s", status, term.dump())
	}
}
