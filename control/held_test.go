package control_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/control"
	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/rules"
)

// TestBreakpointResumedWithEditOverAPI holds a go-sdk tools/call at a
// breakpoint, lists it through the API, resumes it with an edited
// argument, and checks the upstream received the edit.
func TestBreakpointResumedWithEditOverAPI(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	u, _ := url.Parse(up.URL)
	p := proxy.New(u)
	tr := proxy.NewTransport(0)
	p.Transport = tr
	set, err := rules.Parse([]byte("- name: hold echo\n  match: tool:echo\n  action: breakpoint\n"), "r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p.SetRules(set)
	ps := httptest.NewServer(p)
	api := httptest.NewServer(&control.Server{Proxy: p, Token: token})
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		api.Close()
		ps.Close()
		tr.CloseIdleConnections()
		p.Bus.Close()
	})
	r := &rig{proxy: ps.URL, api: api.URL, p: p, client: client}
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, ps.URL+"/mcp", mcptest.ClientOptions{})
	result := make(chan string, 1)
	go func() {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "original"}})
		if err != nil {
			result <- "error: " + err.Error()
			return
		}
		result <- res.Content[0].(*mcp.TextContent).Text
	}()
	var held []any
	for deadline := time.Now().Add(5 * time.Second); len(held) == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		_, _, held = r.call(t, "GET", "/api/held", nil)
	}
	if len(held) != 1 {
		t.Fatalf("/api/held = %v, want the held call", held)
	}
	h := held[0].(map[string]any)
	id, message := h["id"].(string), h["message"].(string)
	if h["rule"] != "hold echo" || !strings.Contains(message, "original") {
		t.Errorf("held = %v", h)
	}
	if h["timeout_ns"] != float64(rules.DefaultBreakpointTimeout) || h["on_timeout"] != "resume" {
		t.Errorf("held = %v, want the default timeout (a rule without one no longer holds for ever)", h)
	}
	if status, _, _ := r.call(t, "POST", "/api/held/"+id+"/resume", func(q *http.Request) { q.Body = readCloser("{broken") }); status != http.StatusBadRequest {
		t.Errorf("resume with a broken edit: %d, want 400", status)
	}
	edited := strings.Replace(message, "original", "edited by the API", 1)
	if status, obj, _ := r.call(t, "POST", "/api/held/"+id+"/resume", func(q *http.Request) { q.Body = readCloser(edited) }); status != 200 {
		t.Fatalf("resume: %d %v", status, obj)
	}
	if got := <-result; got != "edited by the API" {
		t.Errorf("the call returned %q, want the upstream's answer to the edited argument", got)
	}
	if status, _, _ := r.call(t, "POST", "/api/held/"+id+"/drop", nil); status != http.StatusNotFound {
		t.Errorf("resolving twice: %d, want 404", status)
	}
}

// TestFailHeldSamplingOverAPI is issue 14: POST /api/held/{id}/error on a
// held server→client request (sampling) answered {"ok":"error"} but sent
// the server nothing, so its tool call hung. The server's CreateMessage now
// fails with the rule's error and the tool call returns.
func TestFailHeldSamplingOverAPI(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	u, _ := url.Parse(up.URL)
	p := proxy.New(u)
	tr := proxy.NewTransport(0)
	p.Transport = tr
	set, err := rules.Parse([]byte("- name: hold sampling\n  match: method:sampling/createMessage kind:request\n  action: breakpoint\n"+
		"  error: {code: -32042, message: \"no sampling today\"}\n"), "r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p.SetRules(set)
	ps := httptest.NewServer(p)
	api := httptest.NewServer(&control.Server{Proxy: p, Token: token})
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		api.Close()
		ps.Close()
		tr.CloseIdleConnections()
		p.Bus.Close()
	})
	r := &rig{proxy: ps.URL, api: api.URL, p: p, client: client}
	cs, rec := mcptest.Connect(t, t.Context(), mcpserver.Stateful, ps.URL+"/mcp", mcptest.ClientOptions{})
	result := mcptest.SampleInBackground(t, cs)
	var held []any
	for deadline := time.Now().Add(5 * time.Second); len(held) == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		_, _, held = r.call(t, "GET", "/api/held", nil)
	}
	if len(held) != 1 {
		t.Fatalf("/api/held = %v, want the held sampling request", held)
	}
	id := held[0].(map[string]any)["id"].(string)
	if status, obj, _ := r.call(t, "POST", "/api/held/"+id+"/error", nil); status != 200 {
		t.Fatalf("error: %d %v", status, obj)
	}
	select {
	case got := <-result:
		if !strings.Contains(got, "no sampling today") {
			t.Errorf("the tool call ended with %q, want the server's sampling to have failed with the rule's error", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the tool call still hangs 10 s after its sampling request was failed")
	}
	if n := len(rec.Events(mcptest.MethodSampling)); n != 0 {
		t.Errorf("the client got the failed sampling request")
	}
}
