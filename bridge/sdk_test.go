package bridge

import (
	"context"
	"encoding/json"
	"os/exec"
	"syscall"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// script is what TestBridgeWithSDKClient asks of the server, the same
// through the bridge as over a direct stdio launch.
func script(t *testing.T, ctx context.Context, cs *mcp.ClientSession) map[string]string {
	t.Helper()
	out := make(map[string]string)
	keep := func(name string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := json.Marshal(v)
		out[name] = string(b)
	}
	tools, err := cs.ListTools(ctx, nil)
	keep("tools/list", tools, err)
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "héllo\nworld"}})
	keep("echo", res, err)
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 20, "interval_ms": 5}}
	p.SetProgressToken("tok")
	res, err = cs.CallTool(ctx, p)
	keep("progress", res, err)
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "sample", Arguments: map[string]any{"prompt": "why?"}})
	keep("sample", res, err)
	return out
}

// TestBridgeWithSDKClient: the go-sdk's Streamable HTTP client talks to
// the go-sdk stdio server through the bridge as it would launch it itself:
// tools, progress arriving before the call returns, sampling (the server
// asks the client, the client's answer goes back to the child), with the
// same results as a direct stdio launch. The session is listed as stdio,
// named after the command.
func TestBridgeWithSDKClient(t *testing.T) {
	ctx := t.Context()
	argv := mcptest.StdioServerCommand("sdk")
	r := newRig(t, argv, nil)
	cs, rec := mcptest.Connect(t, ctx, mcpserver.Stateful, r.url, mcptest.ClientOptions{})
	if v := cs.InitializeResult().ProtocolVersion; v != "2025-11-25" {
		t.Errorf("negotiated %q through the bridge, want 2025-11-25", v)
	}
	via := script(t, ctx, cs)
	returned := rec.Events(mcptest.MethodProgress)
	if len(returned) != 20 {
		t.Errorf("%d progress notifications had arrived when the call returned, want 20", len(returned))
	}
	for i, e := range returned {
		if pp := e.Params.(*mcp.ProgressNotificationParams); pp.Progress != float64(i+1) || pp.ProgressToken != "tok" {
			t.Errorf("progress %d = %+v", i, pp)
		}
	}
	if n := len(rec.Events(mcptest.MethodSampling)); n != 1 {
		t.Errorf("the client got %d sampling requests, want 1", n)
	}
	var listed bool
	for _, s := range r.p.Sessions() {
		listed = listed || s.ID == cs.ID() && s.Transport == "stdio" && s.Name == commandLine(argv)
	}
	if !listed {
		t.Errorf("sessions %+v: want %s listed as stdio, named %q", r.p.Sessions(), cs.ID(), commandLine(argv))
	}

	cmd := exec.Command(argv[0], argv[1:]...)
	client := mcp.NewClient(&mcp.Implementation{Name: "mcptest-client", Version: "0.1.0"}, &mcp.ClientOptions{
		CreateMessageHandler: func(_ context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			text := req.Params.Messages[0].Content.(*mcp.TextContent).Text
			return &mcp.CreateMessageResult{Model: "mcptest", Role: "assistant", Content: &mcp.TextContent{Text: mcptest.SampleReply(text)}}, nil
		},
	})
	direct, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	want := script(t, ctx, direct)
	for name, w := range want {
		if via[name] != w {
			t.Errorf("%s through the bridge:\n%s\nwant (direct):\n%s", name, via[name], w)
		}
	}
}

// TestBridgeDeleteEndsChild: each session has a child of its own; a
// session's DELETE stops and reaps its child (and only its), and a later
// request naming the session gets 404.
func TestBridgeDeleteEndsChild(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, mcptest.StdioServerCommand("sdk"), nil)
	a, _ := mcptest.Connect(t, ctx, mcpserver.Stateful, r.url, mcptest.ClientOptions{})
	b, _ := mcptest.Connect(t, ctx, mcpserver.Stateful, r.url, mcptest.ClientOptions{})
	ca, cb := r.child(t, a.ID()), r.child(t, b.ID())
	if ca.Pid() == cb.Pid() {
		t.Fatalf("two sessions share the child %d", ca.Pid())
	}
	if err := a.Close(); err != nil {
		t.Fatalf("closing the session: %v", err)
	}
	select {
	case <-ca.exited:
	default:
		t.Fatal("the DELETE was answered before the child was reaped")
	}
	if err := syscall.Kill(ca.Pid(), 0); err != syscall.ESRCH {
		t.Errorf("signalling the deleted session's child %d: %v, want ESRCH (gone)", ca.Pid(), err)
	}
	if !ca.state.Exited() || ca.state.ExitCode() != 0 {
		t.Errorf("the child ended with %v, want exit 0 (closing its stdin is enough)", ca.state)
	}
	if err := syscall.Kill(cb.Pid(), 0); err != nil {
		t.Errorf("the other session's child: %v", err)
	}
	if _, err := b.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "still here"}}); err != nil {
		t.Errorf("the other session after the DELETE: %v", err)
	}
	status, body := postRaw(t, r.url, a.ID(), `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	if status != 404 || !jsonRPCError(body, "deleted by the client") {
		t.Errorf("a request on the deleted session: %d %s, want 404 with a JSON-RPC error saying it was deleted", status, body)
	}
}
