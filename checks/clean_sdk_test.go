package checks_test

import (
	"cmp"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/checks"
	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestCleanSDKSessionsHaveNoFindings: a go-sdk client and server, through
// mcpscope with the checks on, for every revision the SDK speaks (on the
// server kind that serves it): tools, resources, prompts, progress, and a
// tool that asks the client for sampling, elicitation and roots (server
// requests up to 2025-11-25, MRTR rounds on 2026-07-28) produce no
// finding at all.
func TestCleanSDKSessionsHaveNoFindings(t *testing.T) {
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
		{mcpserver.Stateful, ""}, // the SDK's default: server/discover, then initialize 2025-11-25
		{mcpserver.Stateless, ""},
	}
	for _, c := range cases {
		t.Run(string(c.kind)+"/"+cmp.Or(c.version, "default"), func(t *testing.T) {
			t.Parallel()
			up := mcptest.StartUpstream(t, c.kind)
			addAskTool(up.Server)
			r := startChecked(t, up.URL, checks.Options{HungAfter: 5 * time.Second, Grace: 200 * time.Millisecond})
			cs := connect(t, c.kind, r.URL+c.kind.Path(), c.version)
			if got := cs.InitializeResult().ProtocolVersion; got != c.version && c.version != "" {
				t.Fatalf("negotiated %s, asked for %s", got, c.version)
			}
			ctx := t.Context()
			if _, err := cs.ListTools(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "über"}}); err != nil {
				t.Fatal(err)
			}
			p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 3, "interval_ms": 5}}
			p.SetProgressToken("tok")
			if _, err := cs.CallTool(ctx, p); err != nil {
				t.Fatal(err)
			}
			// A stateless server before 2026-07-28 cannot ask the client
			// anything (the SDK refuses): only the other kinds ask.
			if c.kind != mcpserver.Stateless || c.version != "2025-11-25" {
				ask, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "ask", Arguments: map[string]any{}})
				if err != nil {
					t.Fatal(err)
				}
				if text := ask.Content[0].(*mcp.TextContent).Text; text != "answered: 3" {
					t.Errorf("ask: %q (isError=%v), want the three answers", text, ask.IsError)
				}
			}
			if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: mcpserver.GreetingURI}); err != nil {
				t.Fatal(err)
			}
			if _, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "greet", Arguments: map[string]string{"name": "x"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := cs.ListTools(ctx, nil); err != nil { // the same list again: no drift
				t.Fatal(err)
			}
			cs.Close()
			settle(200 * time.Millisecond)
			if fs := r.findings(); len(fs) > 0 {
				t.Errorf("a clean session has findings:%s", describe(fs))
			}
			if n := r.count(); n < 10 {
				t.Errorf("only %d observations: the session did not go through mcpscope", n)
			}
		})
	}
}

// addAskTool adds the tool "ask", which needs the client's sampling,
// elicitation and roots (SEP-2322 input requests: the SDK sends them as
// server requests to clients before 2026-07-28).
func addAskTool(s *mcp.Server) {
	mcp.AddTool(s, &mcp.Tool{Name: "ask", Description: "asks the client"}, func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		if n := len(req.Params.InputResponses); n > 0 {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "answered: " + string(rune('0'+n))}}}, nil, nil
		}
		return &mcp.CallToolResult{InputRequests: mcp.InputRequestMap{
			"sample": &mcp.CreateMessageParams{Messages: []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: "hi"}}}, MaxTokens: 5},
			"elicit": &mcp.ElicitParams{Message: "name?", RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}}},
			"roots":  &mcp.ListRootsParams{},
		}}, nil, nil
	})
}

// connect connects a go-sdk client that supports sampling, elicitation and
// roots.
func connect(t *testing.T, kind mcpserver.Kind, endpoint, version string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "checks-test", Version: "0.1.0"}, &mcp.ClientOptions{
		CreateMessageHandler: func(context.Context, *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return &mcp.CreateMessageResult{Role: "assistant", Model: "m", Content: &mcp.TextContent{Text: "ok"}}, nil
		},
		ElicitationHandler: func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"name": "x"}}, nil
		},
	})
	client.AddRoots(&mcp.Root{URI: "file:///tmp", Name: "tmp"})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	var transport mcp.Transport = &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: hc}
	if kind == mcpserver.LegacySSE {
		transport = &mcp.SSEClientTransport{Endpoint: endpoint, HTTPClient: hc}
	}
	cs, err := client.Connect(t.Context(), transport, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connecting to %s: %v", endpoint, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}
