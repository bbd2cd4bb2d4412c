package mcptest

import (
	"os"
	"os/exec"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	RunStdioServerIfAsked()
	goleak.VerifyTestMain(m)
}

// TestStdioServerSpeaksMCP: the re-executed test binary is a real stdio
// MCP server: the go-sdk client launches it with CommandTransport, calls a
// tool, and closing the session ends the process.
func TestStdioServerSpeaksMCP(t *testing.T) {
	argv := StdioServerCommand("sdk")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil)
	cs, err := client.Connect(t.Context(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Content[0].(*mcp.TextContent).Text; got != "hi" {
		t.Errorf("echo returned %q", got)
	}
	if err := cs.Close(); err != nil {
		t.Errorf("closing: %v", err)
	}
	if cmd.ProcessState == nil || !cmd.ProcessState.Exited() {
		t.Errorf("the server process was not reaped: %v", cmd.ProcessState)
	}
}
