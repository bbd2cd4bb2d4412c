package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/jsonrpc"
)

func init() { mcptest.RegisterStdioMode("bad-progress", serveBadProgress) }

// serveBadProgress is a stdio server of 2025-06-18 that answers
// initialize, ping, logging/setLevel, and every tools/call after a progress notification
// for a token no request offered; other methods are not found.
func serveBadProgress() int {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		env := jsonrpc.Read(in.Text())
		switch {
		case env.Kind != jsonrpc.Request:
		case env.Method == "initialize":
			fmt.Printf(`{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"bad-progress","version":"v0"}}}`+"\n", env.ID)
		case env.Method == "tools/call":
			fmt.Println(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"never-offered","progress":1}}`)
			fmt.Printf(`{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"ok"}]}}`+"\n", env.ID)
		case env.Method == "ping" || env.Method == "logging/setLevel":
			fmt.Printf(`{"jsonrpc":"2.0","id":%s,"result":{}}`+"\n", env.ID)
		default: // server/discover too: a 2025-06-18 server knows no such method
			fmt.Printf(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"method not found"}}`+"\n", env.ID)
		}
	}
	return 0
}

// TestBridgedStdioSessionIsChecked: a stdio server behind mcpscope -- CMD
// (the hub's engine) that sends progress for a token never offered gives
// the finding, in the headless output and the recording, and check on the
// recording reports it.
func TestBridgedStdioSessionIsChecked(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bridge.jsonl")
	args := append([]string{"--headless", "-l", "127.0.0.1:0", "--record", file, "--"}, mcptest.StdioServerCommand("bad-progress")...)
	found, stdout, stop := startCLIStoppable(t, args, `listening on http://\S+ → stdio:\S+ .*\(clients use (http://\S+/mcp)\)`)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, found[0], mcptest.ClientOptions{ProtocolVersion: "2025-06-18"})
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stdout.String(), `"rule":"progress-unknown-token"`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cs.Close()
	stop()
	if n := strings.Count(stdout.String(), `"type":"finding"`); n != 1 || !strings.Contains(stdout.String(), `"rule":"progress-unknown-token"`) {
		t.Errorf("headless output has %d findings, want the one progress-unknown-token:\n%.4000s", n, stdout.String())
	}
	status, out, errOut := runCLI("check", file)
	if status != 1 || strings.Count(out, "progress-unknown-token") != 1 {
		t.Errorf("check on the bridge's recording: %d\n%s%s", status, out, errOut)
	}
}

// TestNoChecksFlag: with --no-checks the same misbehaving stdio server
// gives no finding.
func TestNoChecksFlag(t *testing.T) {
	args := append([]string{"--headless", "--no-checks", "-l", "127.0.0.1:0", "--"}, mcptest.StdioServerCommand("bad-progress")...)
	found, stdout, stop := startCLIStoppable(t, args, `listening on http://\S+ → stdio:\S+ .*\(clients use (http://\S+/mcp)\)`)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, found[0], mcptest.ClientOptions{ProtocolVersion: "2025-06-18"})
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // a finding, were the checks on, would be out by now
	cs.Close()
	stop()
	if !strings.Contains(stdout.String(), `"method":"notifications/progress"`) || strings.Contains(stdout.String(), `"type":"finding"`) {
		t.Errorf("--no-checks: want the progress and no finding in the headless output:\n%.3000s", stdout.String())
	}
}

// TestWrappedSessionIsCheckedOnTheHub: sessions a client launches through
// mcpscope wrap are checked by the hub: the go-sdk demo server (echo,
// progress, sampling) gives no finding, the server that sends progress
// for a token never offered gives that one, about its session.
func TestWrappedSessionIsCheckedOnTheHub(t *testing.T) {
	h := startHubCLI(t)
	runSDK(t, mcpscopeCommand(append([]string{"wrap", "--hub", h.sock, "--"}, mcptest.StdioServerCommand("sdk")...)...), nil)
	client := mcp.NewClient(&mcp.Implementation{Name: "wrap-checks", Version: "v0"}, nil)
	argv := mcpscopeCommand(append([]string{"wrap", "--hub", h.sock, "--"}, mcptest.StdioServerCommand("bad-progress")...)...)
	cs, err := client.Connect(t.Context(), &mcp.CommandTransport{Command: exec.Command(argv[0], argv[1:]...)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(h.stdout.String(), `"type":"finding"`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cs.Close()
	time.Sleep(300 * time.Millisecond) // a second finding, were there one, would be out by now
	var findings []string
	for _, line := range strings.Split(h.stdout.String(), "\n") {
		if strings.Contains(line, `"type":"finding"`) {
			findings = append(findings, line)
		}
	}
	if len(findings) != 1 || !strings.Contains(findings[0], `"rule":"progress-unknown-token"`) || !strings.Contains(findings[0], `"session":"stdio-2"`) {
		t.Errorf("want one progress-unknown-token finding, about the second wrapped session (stdio-2); got %d:\n%s", len(findings), strings.Join(findings, "\n"))
	}
}

// TestBridgedSDKSessionHasNoFinding: the go-sdk demo stdio server behind
// the bridge, a go-sdk client on its default revision (server/discover
// first) and on 2025-11-25: echo, progress and sampling give no finding.
func TestBridgedSDKSessionHasNoFinding(t *testing.T) {
	for _, version := range []string{"", "2025-11-25"} {
		args := append([]string{"--headless", "-l", "127.0.0.1:0", "--"}, mcptest.StdioServerCommand("sdk")...)
		found, stdout, stop := startCLIStoppable(t, args, `listening on http://\S+ → stdio:\S+ .*\(clients use (http://\S+/mcp)\)`)
		cs, rec := mcptest.Connect(t, t.Context(), mcpserver.Stateful, found[0], mcptest.ClientOptions{ProtocolVersion: version})
		p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 3, "interval_ms": 5}}
		p.SetProgressToken("tok")
		if _, err := cs.CallTool(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		if _, err := rec.WaitProgress(3, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		for _, call := range []*mcp.CallToolParams{{Name: "echo", Arguments: map[string]any{"text": "x"}}, {Name: "sample", Arguments: map[string]any{"prompt": "why?"}}} {
			if _, err := cs.CallTool(t.Context(), call); err != nil {
				t.Fatalf("%s (%q): %v", call.Name, version, err)
			}
		}
		time.Sleep(1200 * time.Millisecond) // past the grace an orphan answer waits
		cs.Close()
		stop()
		if strings.Contains(stdout.String(), `"type":"finding"`) || !strings.Contains(stdout.String(), `"method":"notifications/progress"`) {
			t.Errorf("revision %q: the bridged go-sdk session has a finding, or no progress shows:\n%.6000s", version, stdout.String())
		}
	}
}
