package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestHeadlessOutputReadsBack: --headless output of a real go-sdk session
// (bodies as JSON values) and the same lines as older builds wrote them
// (bodies as JSON strings) both export to the same HAR, the tools/call
// request's body the message as sent.
func TestHeadlessOutputReadsBack(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	addr, stdout := startCLI(t, "-u", up.URL, "--headless", "-l", "127.0.0.1:0")
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+addr+"/mcp", mcptest.ClientOptions{})
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "read me back"}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(stdout.String(), `"kind":"result","method":"tools/call"`) {
		time.Sleep(20 * time.Millisecond)
	}
	out := stdout.String()
	out = out[:strings.LastIndexByte(out, '\n')+1] // whole lines
	var older strings.Builder
	values := 0
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var o map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if b := o["body"]; len(b) > 0 && b[0] == '{' {
			o["body"], _ = json.Marshal(string(b)) // as older builds wrote it
			values++
		}
		old, _ := json.Marshal(o)
		older.Write(append(old, '\n'))
	}
	dir := t.TempDir()
	files := map[string]string{"now": filepath.Join(dir, "now.jsonl"), "older": filepath.Join(dir, "older.jsonl")}
	os.WriteFile(files["now"], []byte(out), 0o600)
	os.WriteFile(files["older"], []byte(older.String()), 0o600)
	hars := map[string]string{}
	for name, file := range files {
		status, har, errOut := runCLI("export", file, "--format", "har")
		if status != 0 {
			t.Fatalf("export of the %s output: %d %s", name, status, errOut)
		}
		if !strings.Contains(har, `"text": "{\"jsonrpc\":\"2.0\",\"id\":`) || !strings.Contains(har, `read me back`) {
			t.Fatalf("the HAR of the %s output lacks the tools/call request as sent:\n%.2000s", name, har)
		}
		hars[name] = har
	}
	if hars["now"] != hars["older"] {
		t.Errorf("the two forms export differently:\n%s\n---\n%s", hars["now"], hars["older"])
	}
	if values < 2 {
		t.Errorf("%d bodies written as JSON values, want the request's and the result's at least:\n%s", values, out)
	}
}
