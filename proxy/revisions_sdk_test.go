package proxy_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestRevisionsDirectAndThroughMcpscope: for every protocol revision the
// go-sdk speaks, on the server kind that serves it, the same client
// scenario (tools, resources, prompts, progress, sampling) gives the same
// client-visible results direct and through mcpscope, on the revision
// asked for, and every request reaches the server once.
func TestRevisionsDirectAndThroughMcpscope(t *testing.T) {
	cases := []struct {
		kind    mcpserver.Kind
		version string
	}{
		{mcpserver.LegacySSE, "2024-11-05"},
		{mcpserver.Stateful, "2025-03-26"},
		{mcpserver.Stateful, "2025-06-18"},
		{mcpserver.Stateful, "2025-11-25"},
		{mcpserver.StatefulJSON, "2025-11-25"},
		{mcpserver.Stateless, "2025-11-25"},
		{mcpserver.Stateless, "2026-07-28"},
	}
	for _, c := range cases {
		t.Run(string(c.kind)+"/"+c.version, func(t *testing.T) {
			t.Parallel()
			var runs [2]string
			for i, route := range []string{"direct", "mcpscope"} {
				up := mcptest.StartUpstream(t, c.kind)
				endpoint := up.URL
				if route == "mcpscope" {
					endpoint = startProxy(t, up.URL, nil).URL + c.kind.Path()
				}
				cs, rec := mcptest.Connect(t, t.Context(), c.kind, endpoint, mcptest.ClientOptions{ProtocolVersion: c.version})
				if got := cs.InitializeResult().ProtocolVersion; got != c.version {
					t.Fatalf("%s: negotiated %s, asked for %s", route, got, c.version)
				}
				runs[i] = revisionScenario(t, cs, rec)
				for method, n := range up.Methods() {
					if n > 1 && method != "tools/call" && !strings.HasPrefix(method, "notifications/") {
						t.Errorf("%s: upstream saw %s %d times", route, method, n)
					}
				}
				if dups := up.Duplicates(); len(dups) > 0 {
					t.Errorf("%s: requests or responses seen more than once upstream: %v", route, dups)
				}
			}
			if runs[0] != runs[1] {
				t.Errorf("client-visible results differ:\ndirect:   %s\nmcpscope: %s", runs[0], runs[1])
			}
		})
	}
}

// revisionScenario runs the client side and summarises what the client saw.
func revisionScenario(t *testing.T, cs *mcp.ClientSession, rec *mcptest.ClientRecorder) string {
	t.Helper()
	ctx := t.Context()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	echo := call(t, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "über \u2028 ✓"}})
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 3, "interval_ms": 5}}
	p.SetProgressToken("tok")
	progress := call(t, cs, p)
	notes, err := rec.WaitProgress(3, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// A stateless server before 2026-07-28 cannot send a request to the
	// client: the tool's error result is then what both routes must show.
	var sample string
	if r, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "sample", Arguments: map[string]any{"prompt": "why?"}}); err != nil {
		sample = "error: " + err.Error()
	} else {
		sample = fmt.Sprintf("isError=%v %q", r.IsError, r.Content[0].(*mcp.TextContent).Text)
	}
	res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: mcpserver.GreetingURI})
	if err != nil {
		t.Fatal(err)
	}
	prompt, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "greet", Arguments: map[string]string{"name": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("tools=%v echo=%q progress=%q notes=%d sample=%q resource=%q prompt=%d",
		names, echo, progress, len(notes), sample, res.Contents[0].Text, len(prompt.Messages))
}
