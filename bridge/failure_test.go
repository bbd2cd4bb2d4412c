package bridge

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestBridgeChildExitsMidCall: a server that exits while a call is
// pending: the client gets a JSON-RPC error saying the server exited, with
// its status and its last words on stderr; the session then is gone (404).
func TestBridgeChildExitsMidCall(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, mcptest.StdioServerCommand("bridge-exit"), nil)
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "0"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: r.url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "anything"})
	if err == nil || !strings.Contains(err.Error(), "answered: the server exited with status 3: crashing on purpose") {
		t.Fatalf("a call the server died on: %v, want an error saying it exited with status 3, and why", err)
	}
	status, body := postRaw(t, r.url, cs.ID(), `{"jsonrpc":"2.0","id":9,"method":"tools/list"}`)
	if status != 404 || !jsonRPCError(body, "exited with status 3") {
		t.Errorf("a request after the exit: %d %s, want 404 saying the server exited", status, body)
	}
}

// TestBridgeBadCommand: a command that cannot start fails initialize with
// a JSON-RPC error naming it, and no session is made.
func TestBridgeBadCommand(t *testing.T) {
	r := newRig(t, []string{"/nonexistent/mcp-server-xyz", "--stdio"}, nil)
	status, body := postRaw(t, r.url, "", initialize)
	if status != 200 || !jsonRPCError(body, `starting the server "/nonexistent/mcp-server-xyz --stdio"`) || !strings.Contains(body, `"id":1`) {
		t.Errorf("initialize with a bad command: %d %s, want a JSON-RPC error for id 1 naming the command", status, body)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "0"}, nil)
	_, err := client.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: r.url}, nil)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/mcp-server-xyz") {
		t.Errorf("the go-sdk client connecting: %v, want an error naming the command", err)
	}
	if n := len(r.p.Sessions()); n != 0 {
		t.Errorf("%d sessions after failed starts, want none", n)
	}
}

// TestBridgeRefusals: the requests the bridge refuses, with the status
// and a JSON-RPC error saying why.
func TestBridgeRefusals(t *testing.T) {
	r := newRig(t, mcptest.StdioServerCommand("sdk"), func(b *Bridge) { b.Proxy.MaxBodySize = 1 << 10 })
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, r.url, mcptest.ClientOptions{})
	for _, c := range []struct {
		name, session, body string
		status              int
		says                string
	}{
		{"unknown session", "nope", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, 404, `unknown session "nope"`},
		{"no session", "", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, 400, "initialize a session first"},
		{"not JSON", cs.ID(), `{"jsonrpc":`, 400, "not a JSON-RPC message"},
		{"batch on 2025-11-25", cs.ID(), `[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]`, 400, "has no batches"},
		{"too large", cs.ID(), `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":"` + strings.Repeat("x", 2000) + `"}}`, 413, "exceeds 1024"},
	} {
		status, body := postRaw(t, r.url, c.session, c.body)
		if status != c.status || !jsonRPCError(body, c.says) {
			t.Errorf("%s: %d %s, want %d saying %q", c.name, status, body, c.status, c.says)
		}
	}
	if _, err := cs.ListTools(context.Background(), nil); err != nil {
		t.Errorf("the session after the refusals: %v", err)
	}
}

// TestBridgeChildClosesStdout: a server that closes its stdout but runs
// on can answer nothing more: it is stopped, and the pending call gets an
// error saying so.
func TestBridgeChildClosesStdout(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, mcptest.StdioServerCommand("bridge-close-stdout"), func(b *Bridge) { b.StopGrace = 200 * time.Millisecond })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "0"}, nil).Connect(ctx, &mcp.StreamableClientTransport{Endpoint: r.url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	c := r.child(t, cs.ID())
	_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "anything"})
	if err == nil || !strings.Contains(err.Error(), "closed its stdout") {
		t.Fatalf("a call the server went mute on: %v, want an error saying it closed its stdout", err)
	}
	select {
	case <-c.exited:
	default:
		t.Error("the mute server was not stopped")
	}
}

// TestBridgeGuards: a foreign Origin is refused (403), and sessions are
// bounded: an initialize past MaxSessions gets an error, and no process.
func TestBridgeGuards(t *testing.T) {
	r := newRig(t, mcptest.StdioServerCommand("sdk"), func(b *Bridge) { b.MaxSessions = 1 })
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, r.url, strings.NewReader(initialize))
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !jsonRPCError(string(body), "foreign Origin") {
		t.Errorf("a foreign Origin: %d %s, want 403", resp.StatusCode, body)
	}
	mcptest.Connect(t, t.Context(), mcpserver.Stateful, r.url, mcptest.ClientOptions{})
	if status, body := postRaw(t, r.url, "", initialize); status != 200 || !jsonRPCError(body, "1 session open, the most") {
		t.Errorf("an initialize past MaxSessions: %d %s", status, body)
	}
}

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`

// TestBridgeHugeAndInvalidLines: a line that is not JSON-RPC is not sent
// to the HTTP client (the session goes on); an answer over MaxLineSize
// fails its request with an error saying so, and the session goes on; one
// under it arrives whole.
func TestBridgeHugeAndInvalidLines(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, mcptest.StdioServerCommand("bridge-huge"), func(b *Bridge) { b.MaxLineSize = 1 << 20 })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "0"}, nil).Connect(ctx, &mcp.StreamableClientTransport{Endpoint: r.url}, nil)
	if err != nil {
		t.Fatalf("connecting past a line that is not JSON: %v", err)
	}
	defer cs.Close()
	_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "big", Arguments: map[string]any{"size": 2 << 20}})
	if err == nil || !strings.Contains(err.Error(), "over the bridge's 1048576-byte line limit") {
		t.Errorf("an answer over the line limit: %v, want an error saying so", err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "big", Arguments: map[string]any{"size": 1<<20 - 100}})
	if err != nil || len(res.Content[0].(*mcp.TextContent).Text) != 1<<20-100 {
		t.Errorf("an answer under the line limit: %v", err)
	}
}

// TestBridgeSlowBody: a request body that stops arriving for the proxy's
// BodyTimeout gets 408.
func TestBridgeSlowBody(t *testing.T) {
	r := newRig(t, mcptest.StdioServerCommand("sdk"), func(b *Bridge) { b.Proxy.BodyTimeout = 20 * time.Millisecond })
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write([]byte(`{"jsonrpc":"2.0",`)) // and nothing more
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, r.url, pr)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || !jsonRPCError(string(body), "no bytes for 20ms") {
		t.Errorf("a stalled body: %d %s, want 408", resp.StatusCode, body)
	}
}

// TestBridgeBodiesInFlight: the bridge's request bodies share the proxy's
// in-flight budget: while one body is held arriving, another that would
// pass MaxBodyInflight gets 503 with Retry-After and never reaches a child.
func TestBridgeBodiesInFlight(t *testing.T) {
	r := newRig(t, mcptest.StdioServerCommand("sdk"), func(b *Bridge) { b.Proxy.MaxBodyInflight = 8 << 10 })
	pr, pw := io.Pipe()
	defer pw.Close()
	first, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, r.url, pr)
	first.ContentLength = 6000
	go http.DefaultClient.Do(first)
	pw.Write([]byte(`{"jsonrpc":"2.0",`))
	// The client's transport has the bytes; wait until the bridge has
	// started reading the body and taken its 6 KiB of the budget.
	for deadline := time.Now().Add(10 * time.Second); r.b.Proxy.BodiesHeld() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first body never took its share of the budget")
		}
	}

	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"x":"` + strings.Repeat("x", 6000) + `"}}`
	resp, err := http.Post(r.url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !jsonRPCError(string(got), "too many request bodies in flight") {
		t.Errorf("a body past the budget: %d %s, want 503 with Retry-After", resp.StatusCode, got)
	}
	r.b.mu.Lock()
	n := len(r.b.sessions)
	r.b.mu.Unlock()
	if n != 0 {
		t.Errorf("%d sessions started, want none", n)
	}
}
