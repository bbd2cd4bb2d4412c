package bridge

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/rules"
)

// TestBridgeIdleTTL: a session idle past IdleTTL is ended like a DELETE:
// its child stopped and reaped; a request naming it then gets 404 saying
// it expired.
func TestBridgeIdleTTL(t *testing.T) {
	r := newRig(t, mcptest.StdioServerCommand("sdk"), func(b *Bridge) { b.IdleTTL = 200 * time.Millisecond })
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, r.url, mcptest.ClientOptions{DisableStandaloneSSE: true})
	c := r.child(t, cs.ID())
	select {
	case <-c.exited:
	case <-time.After(timeout):
		t.Fatal("the idle session's child was not stopped")
	}
	if err := syscall.Kill(c.Pid(), 0); err != syscall.ESRCH {
		t.Errorf("the expired session's child %d: %v, want ESRCH (reaped)", c.Pid(), err)
	}
	deadline := time.Now().Add(timeout)
	for {
		status, body := postRaw(t, r.url, cs.ID(), `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
		if status == 404 && jsonRPCError(body, "expired") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a request on the expired session: %d %s, want 404 saying it expired", status, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBridgeCloseEndsEveryChild: Close stops and reaps every session's
// child.
func TestBridgeCloseEndsEveryChild(t *testing.T) {
	r := newRig(t, mcptest.StdioServerCommand("sdk"), nil)
	var children []*child
	for range 3 {
		cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, r.url, mcptest.ClientOptions{})
		children = append(children, r.child(t, cs.ID()))
	}
	r.b.Close()
	for _, c := range children {
		select {
		case <-c.exited:
		default:
			t.Errorf("child %d not reaped when Close returned", c.Pid())
		}
	}
	if n := len(r.p.Sessions()); n != 0 {
		t.Errorf("%d sessions listed after Close, want none: %+v", n, r.p.Sessions())
	}
}

// TestBridgeRuleAnswersWithoutChild: a rule's answer to a request (mock)
// goes to the client and the request never reaches the child (this one
// exits on any tools/call).
func TestBridgeRuleAnswersWithoutChild(t *testing.T) {
	r := newRig(t, mcptest.StdioServerCommand("bridge-exit"), nil)
	set, err := rules.Parse([]byte(`
- name: mock boom
  match: tool:boom
  action: mock
  result: {content: [{type: text, text: mocked}]}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r.p.SetRules(set)
	ctx := t.Context()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "0"}, nil).Connect(ctx, &mcp.StreamableClientTransport{Endpoint: r.url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "boom"})
	if err != nil || res.Content[0].(*mcp.TextContent).Text != "mocked" {
		t.Fatalf("the mocked call: %+v %v, want mocked", res, err)
	}
	c := r.child(t, cs.ID())
	if _, err := cs.ListTools(ctx, nil); err == nil || !strings.Contains(err.Error(), "no") {
		t.Errorf("tools/list after the mock: %v, want the child's own error (it is alive)", err)
	}
	select {
	case <-c.exited:
		t.Error("the child exited: the mocked tools/call reached it")
	default:
	}
}

// TestBridgeQueuesUntilStream: server messages sent while no stream is
// open wait in the session's queue and come first on the next GET stream.
func TestBridgeQueuesUntilStream(t *testing.T) {
	r := newRig(t, mcptest.StdioServerCommand("sdk"), nil)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, r.url, mcptest.ClientOptions{DisableStandaloneSSE: true})
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "notify_later", Arguments: map[string]any{"delay_ms": 10}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the notifications are sent meanwhile, with no stream open
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set(sessionHeader, cs.ID())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("GET: %d %s", resp.StatusCode, ct)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") && strings.Contains(sc.Text(), "later 1") {
			return
		}
	}
	t.Fatalf("the GET stream ended (%v) without the queued log message", sc.Err())
}

// TestQueueBoundedInBytes: past its bound the queue drops its oldest
// lines and counts them.
func TestQueueBoundedInBytes(t *testing.T) {
	var q queue
	for i := range 10 {
		q.push([]byte(strings.Repeat(string(rune('a'+i)), 100)), 350)
	}
	lines, dropped := q.take()
	if dropped != 7 || len(lines) != 3 || lines[0][0] != 'h' || lines[2][0] != 'j' {
		t.Errorf("kept %d lines (first %q), dropped %d; want the last 3 (h, i, j), 7 dropped", len(lines), lines[0][:1], dropped)
	}
	q.push(make([]byte, 400), 350)
	if lines, dropped := q.take(); len(lines) != 0 || dropped != 1 {
		t.Errorf("a line over the bound alone: kept %d, dropped %d; want dropped", len(lines), dropped)
	}
}

// TestBridgeRuleAnswersServerRequest: a rule that blocks the server's
// sampling request answers the child in the client's place: the client
// never sees the request, and the tool gets the rule's error.
func TestBridgeRuleAnswersServerRequest(t *testing.T) {
	r := newRig(t, mcptest.StdioServerCommand("sdk"), nil)
	set, err := rules.Parse([]byte(`
- name: no sampling
  match: method:sampling/createMessage
  action: block
  error: {code: -32001, message: "no sampling here"}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r.p.SetRules(set)
	cs, rec := mcptest.Connect(t, t.Context(), mcpserver.Stateful, r.url, mcptest.ClientOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "sample", Arguments: map[string]any{"prompt": "why?"}})
	if err == nil && (res == nil || !res.IsError) || err != nil && !strings.Contains(err.Error(), "no sampling here") {
		t.Errorf("sample with sampling blocked: %+v %v, want the rule's error", res, err)
	} else if res != nil && !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "no sampling here") {
		t.Errorf("sample with sampling blocked: %q, want the rule's error", res.Content[0].(*mcp.TextContent).Text)
	}
	if n := len(rec.Events(mcptest.MethodSampling)); n != 0 {
		t.Errorf("the client got %d sampling requests, want none", n)
	}
}

// TestBridgeBreakpointEdit: a breakpoint holds a client's request in the
// bridge until the user resumes it, edited; the child gets the edit.
func TestBridgeBreakpointEdit(t *testing.T) {
	r := newRig(t, mcptest.StdioServerCommand("sdk"), nil)
	set, err := rules.Parse([]byte(`
- name: stop echo
  match: tool:echo
  action: breakpoint
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r.p.SetRules(set)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, r.url, mcptest.ClientOptions{})
	got := make(chan string, 1)
	go func() {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "a"}})
		if err != nil {
			got <- err.Error()
			return
		}
		got <- res.Content[0].(*mcp.TextContent).Text
	}()
	deadline := time.Now().Add(timeout)
	for len(r.p.Held()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the call was not held")
		}
		time.Sleep(5 * time.Millisecond)
	}
	held := r.p.Held()[0]
	edited := strings.Replace(held.Message, `"text":"a"`, `"text":"edited"`, 1)
	if err := r.p.ResumeHeld(held.ID, edited, "test"); err != nil {
		t.Fatal(err)
	}
	if text := <-got; text != "edited" {
		t.Errorf("the held call answered %q, want the child's echo of the edit", text)
	}
}
