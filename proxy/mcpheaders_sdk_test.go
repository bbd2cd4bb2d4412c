package proxy_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// regionSchema is the input schema of the "region" tool: region, count and
// opts.zone are mirrored in Mcp-Param-* headers on 2026-07-28.
const regionSchema = `{"type":"object","properties":{
	"region":{"type":"string","x-mcp-header":"Region"},
	"count":{"type":"integer","x-mcp-header":"Count"},
	"opts":{"type":"object","properties":{"zone":{"type":"string","x-mcp-header":"Zone"}}}}}`

// headerTools adds to up's server "shout" (returns text in capitals) and
// "region" (returns its arguments, re-encoded with sorted keys).
func headerTools(up *mcptest.Upstream) {
	up.Server.AddTool(&mcp.Tool{Name: "shout", InputSchema: json.RawMessage(`{"type":"object","properties":{"text":{"type":"string"}}}`)},
		func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			var in struct{ Text string }
			json.Unmarshal(req.Params.Arguments, &in)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: strings.ToUpper(in.Text)}}}, nil
		})
	up.Server.AddTool(&mcp.Tool{Name: "region", InputSchema: json.RawMessage(regionSchema)},
		func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			var args any
			json.Unmarshal(req.Params.Arguments, &args)
			b, _ := json.Marshal(args)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}}, nil
		})
}

// statelessWithHeaderTools starts a stateless go-sdk upstream with the
// header tools and, when yaml is not empty, a proxy with those rules in
// front of it; it connects a 2026-07-28 client and lists the tools (so the
// client mirrors Mcp-Param-* headers, and mcpscope learns the bindings).
func statelessWithHeaderTools(t *testing.T, yaml string) (*mcptest.Upstream, *harness, *mcp.ClientSession) {
	t.Helper()
	up := mcptest.StartUpstream(t, mcpserver.Stateless)
	headerTools(up)
	endpoint := up.URL
	var hs *harness
	if yaml != "" {
		hs = startProxy(t, up.URL, withRules(t, yaml))
		endpoint = hs.URL + mcpserver.Stateless.Path()
	}
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateless, endpoint, mcptest.ClientOptions{})
	if _, err := cs.ListTools(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	return up, hs, cs
}

// lastCallHeaders returns the headers of the last tools/call the upstream got.
func lastCallHeaders(t *testing.T, up *mcptest.Upstream) map[string]string {
	t.Helper()
	reqs := up.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if len(reqs[i].Messages) == 1 && reqs[i].Messages[0].Method == "tools/call" {
			out := map[string]string{}
			for k := range reqs[i].Header {
				if strings.HasPrefix(k, "Mcp-") {
					out[k] = reqs[i].Header.Get(k)
				}
			}
			return out
		}
	}
	t.Fatal("no tools/call reached the upstream")
	return nil
}

// TestChecklist2026ModifyRecomputesMcpName: a modify rule sends a 2026-07-28
// call of echo to another tool; mcpscope recomputes Mcp-Name from the edited
// body, so the server (which checks Mcp-Name against params.name, 400 -32020
// otherwise) runs the other tool.
func TestChecklist2026ModifyRecomputesMcpName(t *testing.T) {
	up, _, cs := statelessWithHeaderTools(t, `
- name: echo is shout
  match: tool:echo
  action: modify
  set: {params.name: shout}
`)
	if got := call(t, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}}); got != "HI" {
		t.Errorf("the call returned %q, want HI from shout", got)
	}
	if h := lastCallHeaders(t, up); h["Mcp-Name"] != "shout" || h["Mcp-Method"] != "tools/call" {
		t.Errorf("the upstream got %v, want Mcp-Name: shout", h)
	}
}

// regionArgs are the client's arguments to the region tool in the
// Mcp-Param tests; editedRegionArgs what the rule or edit makes of them.
var (
	regionArgs       = map[string]any{"region": "us", "count": 3, "opts": map[string]any{"zone": "z1"}}
	editedRegionArgs = map[string]any{"region": " eu-west ✓", "count": 3, "opts": map[string]any{"zone": nil}}
)

// TestChecklist2026ModifyRecomputesMcpParam: a rule changes arguments that
// the tool's inputSchema mirrors in Mcp-Param-* headers (x-mcp-header); the
// headers are recomputed (a value needing base64, a null removing its
// header), so the call succeeds and returns what a direct call with the
// edited arguments returns.
func TestChecklist2026ModifyRecomputesMcpParam(t *testing.T) {
	_, _, direct := statelessWithHeaderTools(t, "")
	want := call(t, direct, &mcp.CallToolParams{Name: "region", Arguments: editedRegionArgs})

	up, _, cs := statelessWithHeaderTools(t, `
- name: move region
  match: tool:region
  action: modify
  set: {params.arguments.region: " eu-west ✓", params.arguments.opts.zone: null}
`)
	if got := call(t, cs, &mcp.CallToolParams{Name: "region", Arguments: regionArgs}); got != want {
		t.Errorf("through mcpscope: %s\nwant (direct, edited arguments): %s", got, want)
	}
	h := lastCallHeaders(t, up)
	if h["Mcp-Param-Region"] != "=?base64?IGV1LXdlc3Qg4pyT?=" || h["Mcp-Param-Count"] != "3" || h["Mcp-Param-Zone"] != "" {
		t.Errorf("upstream headers %v", h)
	}
}

// TestChecklist2026BreakpointEditRecomputesHeaders: a held 2026-07-28 call
// resumed with its tool name and a mirrored argument edited reaches the
// edited tool with headers that match, and succeeds.
func TestChecklist2026BreakpointEditRecomputesHeaders(t *testing.T) {
	up, hs, cs := statelessWithHeaderTools(t, `
- name: hold calls
  match: tool:echo
  action: breakpoint
  timeout: 20s
`)
	type result struct {
		text string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}})
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{text: res.Content[0].(*mcp.TextContent).Text}
	}()
	var held []proxy.HeldInfo
	waitFor(t, func() bool { held = hs.Proxy.Held(); return len(held) == 1 })
	var msg map[string]any
	if err := json.Unmarshal([]byte(held[0].Message), &msg); err != nil {
		t.Fatal(err)
	}
	params := msg["params"].(map[string]any)
	params["name"], params["arguments"] = "region", map[string]any{"region": "ap", "count": 7}
	edited, _ := json.Marshal(msg)
	if err := hs.Proxy.ResumeHeld(held[0].ID, string(edited), "test"); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil || res.text != `{"count":7,"region":"ap"}` {
		t.Errorf("the edited call returned %q, %v", res.text, res.err)
	}
	h := lastCallHeaders(t, up)
	if h["Mcp-Name"] != "region" || h["Mcp-Param-Region"] != "ap" || h["Mcp-Param-Count"] != "7" {
		t.Errorf("upstream headers %v", h)
	}
}
