package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestBridgeCLI: mcpscope -- CMD serves CMD (a go-sdk stdio server) over
// Streamable HTTP at /mcp to the go-sdk HTTP client, the traffic shows in
// the headless output and the recording as a stdio session named after
// its command, with the credential on that command redacted, and the
// shutdown leaves no child behind.
func TestBridgeCLI(t *testing.T) {
	record := filepath.Join(t.TempDir(), "bridge.jsonl")
	args := append([]string{"--headless", "-l", "127.0.0.1:0", "--record", record, "--"}, mcptest.StdioServerCommand("sdk")...)
	args = append(args, "--token", "hunter2") // the server ignores it
	found, stdout, stop := startCLIStoppable(t, args, `listening on http://\S+ → stdio:\S+ .*\(clients use (http://\S+/mcp)\)`)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, found[0], mcptest.ClientOptions{})
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "through the bridge"}})
	if err != nil || res.Content[0].(*mcp.TextContent).Text != "through the bridge" {
		t.Fatalf("echo through the bridge: %+v %v", res, err)
	}
	if servers := bridgeChildren(t); len(servers) != 1 {
		t.Errorf("%d stdio servers running for one session, want 1: %v", len(servers), servers)
	}
	stop()
	if servers := bridgeChildren(t); len(servers) != 0 {
		t.Errorf("stdio servers left after mcpscope exited: %v", servers)
	}
	want := `"session":"` + cs.ID() + `"`
	for name, out := range map[string]string{"headless output": stdout.String(), "recording": bridgeReadFile(t, record)} {
		if !strings.Contains(out, `"method":"tools/call"`) || !strings.Contains(out, want) || !strings.Contains(out, "stdio session ended") {
			t.Errorf("%s lacks the tools/call of session %s, or its end:\n%.3000s", name, cs.ID(), out)
		}
		if strings.Contains(out, "hunter2") || !strings.Contains(out, "--token [redacted]") {
			t.Errorf("%s shows the command's credential, or not its redacted command line:\n%.3000s", name, out)
		}
	}
}

// TestBridgeUsage: the bridge's usage errors, and its place in --help.
func TestBridgeUsage(t *testing.T) {
	for _, c := range []struct {
		args   []string
		status int
		says   string
	}{
		{[]string{"--help"}, 0, "mcpscope -- node server.js"},
		{[]string{"-u", "http://127.0.0.1:1/mcp", "--", "node", "server.js"}, 2, "either -u URL"},
		{[]string{"--"}, 2, "no command after --"},
		{[]string{"serve", "--", "node"}, 2, `unknown command "serve"`},
	} {
		var out, errOut bytes.Buffer
		status := run(context.Background(), c.args, &out, &errOut)
		said := errOut.String() // usage errors; --help goes to stdout
		if c.status == 0 {
			said = out.String()
		}
		if status != c.status || !strings.Contains(said, c.says) {
			t.Errorf("mcpscope %v: status %d, said %q; want %d saying %q", c.args, status, said, c.status, c.says)
		}
	}
}

// bridgeChildren lists the mcptest stdio servers this process started that
// are still running (children only: /proc's parent ids).
func bridgeChildren(t *testing.T) []int {
	t.Helper()
	deadline := time.Now().Add(time.Second) // a process just signalled may take a moment to go
	for {
		var pids []int
		entries, err := os.ReadDir("/proc")
		if err != nil {
			t.Skip("no /proc to list processes: ", err)
		}
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			stat, err1 := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			cmdline, err2 := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err1 != nil || err2 != nil {
				continue
			}
			fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
			if len(fields) > 1 && fields[1] == strconv.Itoa(os.Getpid()) && bytes.Contains(cmdline, []byte("-mcptest.stdio-server")) {
				pids = append(pids, pid)
			}
		}
		if len(pids) == 0 || time.Now().After(deadline) {
			return pids
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func bridgeReadFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
