package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestTUIEditsAHeldRequest drives the breakpoint editor end to end: a rule
// holds a tools/call, the user focuses the breakpoints pane and presses e,
// the TUI gives the terminal to $EDITOR (tea.ExecProcess) with the message
// in a file, and when the editor exits the request goes on as edited: the
// upstream answers the edited arguments. The editor is a script that
// rewrites the file, as a person would in vi, and records that it ran in a
// terminal.
func TestTUIEditsAHeldRequest(t *testing.T) {
	requireTmux(t)
	bin := buildBinary(t)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesFile, []byte("- name: hold echo\n  match: tool:echo\n  action: breakpoint\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ranIn := filepath.Join(dir, "editor-ran")
	editor := filepath.Join(dir, "editor.sh")
	script := "#!/bin/sh\n" +
		"[ -t 0 ] && [ -t 1 ] && echo terminal > " + shellQuote(ranIn) + "\n" +
		`sed 's/"text": "as sent"/"text": "as edited"/' "$1" > "$1.new" && mv "$1.new" "$1"` + "\n"
	if err := os.WriteFile(editor, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	term := startInTmuxWithEnv(t, []string{"EDITOR=" + editor}, bin, "-u", up.URL, "-l", "127.0.0.1:0", "--rules", rulesFile)
	term.waitScreen("the UI to start", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "mcpscope") && strings.Contains(s, "Traffic")
	})

	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+term.addr+"/mcp", mcptest.ClientOptions{})
	type answer struct {
		res *mcp.CallToolResult
		err error
	}
	call := make(chan answer, 1)
	go func() {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "as sent"}})
		call <- answer{res, err}
	}()
	term.waitScreen("the breakpoints pane with the held call", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "Breakpoints: 1 held")
	})
	select {
	case a := <-call:
		t.Fatalf("the call returned while held (%v, %v)\n%s", a.res, a.err, term.dump())
	default:
	}

	term.sendKeys("\t") // traffic → sessions
	term.sendKeys("\t") // sessions → breakpoints
	term.waitScreen("the breakpoints pane's keys", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "e edit + resume") // the help bar hints the focused pane's keys
	})
	term.sendKeys("e")
	var a answer
	select {
	case a = <-call:
	case <-time.After(20 * time.Second):
		t.Fatalf("the call did not go on within 20 s of e\n%s", term.dump())
	}
	if a.err != nil {
		t.Fatalf("tools/call: %v\n%s", a.err, term.dump())
	}
	got := ""
	if len(a.res.Content) > 0 {
		if tc, ok := a.res.Content[0].(*mcp.TextContent); ok {
			got = tc.Text
		}
	}
	if got != "as edited" {
		t.Fatalf("the upstream answered %q, want %q: the edit did not reach it\n%s", got, "as edited", term.dump())
	}
	if b, err := os.ReadFile(ranIn); err != nil || strings.TrimSpace(string(b)) != "terminal" {
		t.Fatalf("the editor did not run with the terminal as its stdin and stdout (%q, %v)", b, err)
	}
	term.waitScreen("the TUI back, saying the call resumed as edited", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "resumed") && strings.Contains(s, "as edited") && strings.Contains(s, "Traffic")
	})

	cs.Close()
	term.sendKeys("q")
	if status := term.waitExit(15 * time.Second); status != 0 {
		t.Fatalf("mcpscope exited with status %d after q\n%s", status, term.dump())
	}
}
