package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// launch connects a go-sdk client to the stdio server argv launches, as
// a client does with its configured command.
func launch(t *testing.T, argv []string) (*mcp.ClientSession, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "wrap-test", Version: "v0"}, nil)
	cs, err := client.Connect(t.Context(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connecting to %v: %v", argv, err)
	}
	return cs, cmd
}

// echoAndTools calls what a transparent relay must give back identically.
func echoAndTools(t *testing.T, cs *mcp.ClientSession) (string, []string) {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "héllo wrap"}})
	if err != nil {
		t.Fatal(err)
	}
	tools, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	return res.Content[0].(*mcp.TextContent).Text, names
}

// closeAndReap closes the session and checks that the process exited 0.
func closeAndReap(t *testing.T, cs *mcp.ClientSession, cmd *exec.Cmd) {
	t.Helper()
	if err := cs.Close(); err != nil {
		t.Errorf("closing: %v", err)
	}
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 0 {
		t.Errorf("the launched process: %v, want reaped with status 0", cmd.ProcessState)
	}
}

// TestWrapWithoutHubIsTransparent: with no hub, a client launching
// mcpscope wrap gets what it gets launching the server directly.
func TestWrapWithoutHubIsTransparent(t *testing.T) {
	server := mcptest.StdioServerCommand("sdk")
	direct, dcmd := launch(t, server)
	wantText, wantTools := echoAndTools(t, direct)
	closeAndReap(t, direct, dcmd)

	noHub := filepath.Join(t.TempDir(), "hub.sock")
	wrapped, wcmd := launch(t, mcpscopeCommand(append([]string{"wrap", "--hub", noHub, "--"}, server...)...))
	gotText, gotTools := echoAndTools(t, wrapped)
	closeAndReap(t, wrapped, wcmd)
	if gotText != wantText || !reflect.DeepEqual(gotTools, wantTools) {
		t.Errorf("through wrap: %q %v; direct: %q %v", gotText, gotTools, wantText, wantTools)
	}
}

// TestWrapRecordsWithoutHub: wrap --record with no hub records the
// session, and mcpscope export reads the recording.
func TestWrapRecordsWithoutHub(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "wrap.jsonl")
	server := append(mcptest.StdioServerCommand("sdk"), "--api-key", "hunter2") // the server ignores it
	argv := mcpscopeCommand(append([]string{"wrap", "--hub", "off", "--record", file, "--"}, server...)...)
	cs, cmd := launch(t, argv)
	echoAndTools(t, cs)
	closeAndReap(t, cs, cmd)
	var out, errOut bytes.Buffer
	if status := run(context.Background(), []string{"export", file, "--format", "jsonl"}, &out, &errOut); status != 0 {
		t.Fatalf("export: status %d: %s", status, errOut.String())
	}
	var calls, results int
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, `"method":"tools/call"`) && strings.Contains(line, `"kind":"request"`) && strings.Contains(line, `héllo wrap`) {
			calls++
		}
		if strings.Contains(line, `"method":"tools/call"`) && strings.Contains(line, `"kind":"result"`) {
			results++
		}
	}
	if calls != 1 || results != 1 || !strings.Contains(out.String(), "stdio session ended") {
		t.Errorf("the export has %d tools/call requests and %d results (want 1, 1), and the session's end:\n%s", calls, results, out.String())
	}
	if recorded, _ := os.ReadFile(file); bytes.Contains(recorded, []byte("hunter2")) || !bytes.Contains(recorded, []byte("--api-key [redacted]")) {
		t.Errorf("the recording shows the command's credential, or not its redacted command line:\n%.2000s", recorded)
	}
}

// TestWrapBadCommandTellsTheClient: a go-sdk client launching wrap with a
// command that does not exist gets an error naming it, not a hang.
func TestWrapBadCommandTellsTheClient(t *testing.T) {
	argv := mcpscopeCommand("wrap", "--hub", "off", "--", "/nonexistent/mcp-server")
	cmd := exec.Command(argv[0], argv[1:]...)
	client := mcp.NewClient(&mcp.Implementation{Name: "wrap-test", Version: "v0"}, nil)
	_, err := client.Connect(t.Context(), &mcp.CommandTransport{Command: cmd}, nil)
	if err == nil || !strings.Contains(err.Error(), `cannot start \"/nonexistent/mcp-server\"`) && !strings.Contains(err.Error(), `cannot start "/nonexistent/mcp-server"`) {
		t.Fatalf("connecting: %v, want an error naming the command", err)
	}
	cmd.Wait()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 127 {
		t.Errorf("wrap's exit: %v, want 127", cmd.ProcessState)
	}
}

// TestWrapRulesWithoutHub: wrap --rules with no hub judges the session in
// wrap itself: a mocked tool is answered without the server.
func TestWrapRulesWithoutHub(t *testing.T) {
	rulesFile := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(rulesFile, []byte("rules:\n  - name: mock echo\n    match: tool:echo\n    action: mock\n    result: {content: [{type: text, text: \"mocked in wrap\"}]}\n"), 0o600)
	argv := mcpscopeCommand(append([]string{"wrap", "--hub", "off", "--rules", rulesFile, "--"}, mcptest.StdioServerCommand("sdk")...)...)
	cs, cmd := launch(t, argv)
	text, tools := echoAndTools(t, cs)
	closeAndReap(t, cs, cmd)
	if text != "mocked in wrap" || len(tools) == 0 {
		t.Errorf("echo returned %q (want the mock), tools %v", text, tools)
	}
}

// TestWrapKilledLeavesNoOrphan: wrap killed outright (SIGKILL, no chance
// to end its server) takes its server with it: Pdeathsig.
func TestWrapKilledLeavesNoOrphan(t *testing.T) {
	argv := mcpscopeCommand(append([]string{"wrap", "--hub", "off", "--"}, mcptest.StdioServerCommand("stubborn")...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	stdin, _ := cmd.StdinPipe()
	defer stdin.Close()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("the server said %q", line)
	}
	pid := itoa(cmd.Process.Pid)
	var children []string // the server: a child of whichever of wrap's threads forked it
	tasks, _ := filepath.Glob("/proc/" + pid + "/task/*/children")
	for _, task := range tasks {
		b, _ := os.ReadFile(task)
		children = append(children, strings.Fields(string(b))...)
	}
	if len(children) != 1 {
		t.Fatalf("wrap's children: %v, want its one server", children)
	}
	server := children[0]
	cmd.Process.Kill()
	cmd.Wait()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		stat, err := os.ReadFile("/proc/" + server + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return // gone (or dead, awaiting its new parent's wait)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server (pid %s) outlived wrap killed with SIGKILL: %s", server, stat)
		}
	}
}
