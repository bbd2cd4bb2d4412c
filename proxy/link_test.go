package proxy_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/rules"
)

// linkRig is a proxy with no upstream of its own, an observer of its bus,
// and one stdio Link open through it.
func linkRig(t *testing.T, yaml string) (*proxy.Proxy, *proxy.Link, *observed) {
	t.Helper()
	p := proxy.New(&url.URL{Scheme: "http", Host: "127.0.0.1:1"})
	if yaml != "" {
		set, err := rules.Parse([]byte(yaml), "test.yaml")
		if err != nil {
			t.Fatal(err)
		}
		p.SetRules(set)
	}
	seen := observe(p.Bus, nil)
	l := p.OpenLink(proxy.LinkInfo{Name: "node server.js"})
	t.Cleanup(func() {
		l.Close("test over")
		p.Bus.Close()
		<-seen.done
	})
	return p, l, seen
}

func pass(t *testing.T, l *proxy.Link, dir proxy.Direction, line string) proxy.Verdict {
	t.Helper()
	v, err := l.Pass(t.Context(), dir, []byte(line))
	if err != nil {
		t.Fatalf("passing %s: %v", line, err)
	}
	return v
}

// TestLinkPassesLinesThroughTheEngine: a stdio line is a message like any
// other: described, published with its session and stream, its answer
// linked to its request; a line that is not JSON goes on byte for byte,
// flagged. The session is listed as a stdio session named after its
// command.
func TestLinkPassesLinesThroughTheEngine(t *testing.T) {
	p, l, seen := linkRig(t, "")
	request := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}}`
	result := `{"jsonrpc":"2.0","id":7,"result":{"content":[]}}`
	notJSON := `Server listening on stdio {`
	for _, c := range []struct {
		dir  proxy.Direction
		line string
	}{{proxy.ClientToServer, request}, {proxy.ServerToClient, notJSON}, {proxy.ServerToClient, result}} {
		if v := pass(t, l, c.dir, c.line); string(v.Forward) != c.line || v.Back != nil {
			t.Errorf("%s went on as %q (back %q), want unchanged", c.line, v.Forward, v.Back)
		}
	}
	msgs := seen.Await(t, 3, func(o *proxy.Observation) bool { return o.Type == proxy.TypeMessage })
	if len(msgs) != 3 {
		t.Fatalf("%d message observations, want 3", len(msgs))
	}
	for _, o := range msgs {
		if o.Session != l.Session() || o.Stream != l.Stream() {
			t.Errorf("message %q observed in session %q stream %q, want %q %q", o.Body, o.Session, o.Stream, l.Session(), l.Stream())
		}
	}
	if msgs[1].Kind != proxy.KindInvalid || !msgs[1].Has("invalid_json") {
		t.Errorf("the non-JSON line was observed as %s %v, want invalid, flagged", msgs[1].Kind, msgs[1].Flags)
	}
	if msgs[2].Method != "tools/call" || msgs[2].RequestSeq != msgs[0].Seq {
		t.Errorf("the result is linked to %q seq %d, want tools/call seq %d", msgs[2].Method, msgs[2].RequestSeq, msgs[0].Seq)
	}
	var listed bool
	for _, s := range p.Sessions() {
		if s.ID == l.Session() {
			listed = s.Transport == "stdio" && s.Name == "node server.js" && s.Streams == 1 && s.Events == 2
		}
	}
	if !listed {
		t.Errorf("sessions %+v: want %s listed as stdio, named, with one stream of 2 lines", p.Sessions(), l.Session())
	}
}

// TestLinkPauseHoldsServerLines: a paused link's server→client lines wait
// in Pass (so the transport reads no more from the server); a step lets
// one through, resume the rest in order. Client→server lines do not wait.
func TestLinkPauseHoldsServerLines(t *testing.T) {
	p, l, seen := linkRig(t, "")
	if err := p.PauseStream(l.Stream(), "test"); err != nil {
		t.Fatal(err)
	}
	passed := make(chan string, 3)
	go func() {
		for i := range 3 {
			v, err := l.Pass(context.Background(), proxy.ServerToClient, []byte(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":`+string(rune('1'+i))+`}}`))
			if err != nil {
				return
			}
			passed <- string(v.Forward)
		}
	}()
	if v := pass(t, l, proxy.ClientToServer, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); v.Forward == nil {
		t.Error("a client line waited at the server's pause")
	}
	select {
	case line := <-passed:
		t.Fatalf("a server line passed a closed gate: %s", line)
	case <-time.After(100 * time.Millisecond):
	}
	if held := seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Type == proxy.TypeGate && o.Gate.Action == "held" }); len(held) != 1 {
		t.Error("no held gate observation while a line waits")
	}
	if err := p.StepStream(l.Stream(), "test"); err != nil {
		t.Fatal(err)
	}
	if line := <-passed; !strings.Contains(line, `"progress":1`) {
		t.Errorf("the step let %s through, want the first line", line)
	}
	select {
	case line := <-passed:
		t.Fatalf("a second line passed after one step: %s", line)
	case <-time.After(100 * time.Millisecond):
	}
	if err := p.ResumeStream(l.Stream(), "test"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"progress":2`, `"progress":3`} {
		if line := <-passed; !strings.Contains(line, want) {
			t.Errorf("after resume got %s, want %s next", line, want)
		}
	}
}

// TestLinkRules: rules act on stdio lines as on HTTP messages: a mocked
// client request is answered back to the client and never forwarded; a
// blocked server request is answered back to the server in the client's
// place; modify changes what goes on.
func TestLinkRules(t *testing.T) {
	_, l, seen := linkRig(t, `
- name: mock echo
  match: tool:echo
  action: mock
  result: {content: [{type: text, text: mocked}]}
- name: no sampling
  match: method:sampling/createMessage
  action: block
  error: {code: -32001, message: "no sampling here"}
- name: louder
  match: method:notifications/message
  action: modify
  set: {params.level: error}
`)
	v := pass(t, l, proxy.ClientToServer, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{}}}`)
	if v.Forward != nil || !strings.Contains(string(v.Back), `"mocked"`) || !strings.Contains(string(v.Back), `"id":1`) {
		t.Errorf("mocked call: forward %q back %q; want nothing forwarded and the mock answer back", v.Forward, v.Back)
	}
	v = pass(t, l, proxy.ServerToClient, `{"jsonrpc":"2.0","id":"s1","method":"sampling/createMessage","params":{}}`)
	if v.Forward != nil || !strings.Contains(string(v.Back), `-32001`) || !strings.Contains(string(v.Back), `"id":"s1"`) {
		t.Errorf("blocked server request: forward %q back %q; want nothing forwarded and the error back to the server", v.Forward, v.Back)
	}
	v = pass(t, l, proxy.ServerToClient, `{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}`)
	if !strings.Contains(string(v.Forward), `"level":"error"`) || v.Back != nil {
		t.Errorf("modified notification went on as %q", v.Forward)
	}
	replies := seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Has("by_mcpscope") })
	if len(replies) != 1 || replies[0].Direction != proxy.ClientToServer || replies[0].Method != "sampling/createMessage" {
		t.Errorf("mcpscope's reply to the server was observed as %v, want one client→server answer to sampling/createMessage", replies)
	}
}

// TestLinkAnswersFitTheRevision: on a stdio session whose client states
// 2026-07-28 in its requests' _meta, a mock answer carries resultType, and
// so does a mock replacing the server's answer; a 2025 session's does not.
func TestLinkAnswersFitTheRevision(t *testing.T) {
	_, l, _ := linkRig(t, `
- name: mock echo
  match: tool:echo
  action: mock
  result: {content: []}
- name: mock lists
  match: method:tools/list dir:server
  action: mock
  result: {tools: []}
`)
	modern := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`
	if v := pass(t, l, proxy.ClientToServer, modern); !strings.Contains(string(v.Back), `"resultType":"complete"`) {
		t.Errorf("a 2026-07-28 request's mock answer: %s, want resultType", v.Back)
	}
	pass(t, l, proxy.ClientToServer, `{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`)
	if v := pass(t, l, proxy.ServerToClient, `{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"x"}]}}`); !strings.Contains(string(v.Forward), `"resultType":"complete"`) || !strings.Contains(string(v.Forward), `"cacheScope"`) {
		t.Errorf("a mock replacing a 2026-07-28 server's tools/list answer: %s, want resultType and cacheScope", v.Forward)
	}
	_, old, _ := linkRig(t, `
- name: mock echo
  match: tool:echo
  action: mock
  result: {content: []}
`)
	if v := pass(t, old, proxy.ClientToServer, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}`); strings.Contains(string(v.Back), "resultType") {
		t.Errorf("a session stating no revision got %s, want the rule's result as it is", v.Back)
	}
}

// TestLinkBreakpointEdit: a breakpoint holds a stdio line in Pass until
// the user resumes it, edited; the edit is what goes on.
func TestLinkBreakpointEdit(t *testing.T) {
	p, l, _ := linkRig(t, `
- name: stop echo
  match: tool:echo
  action: breakpoint
`)
	got := make(chan proxy.Verdict, 1)
	go func() {
		v, _ := l.Pass(context.Background(), proxy.ClientToServer, []byte(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"a"}}}`))
		got <- v
	}()
	var held []proxy.HeldInfo
	waitFor(t, func() bool { held = p.Held(); return len(held) == 1 })
	edited := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"edited"}}}`
	if err := p.ResumeHeld(held[0].ID, edited, "test"); err != nil {
		t.Fatal(err)
	}
	if v := <-got; string(v.Forward) != edited {
		t.Errorf("after the edit %q went on, want %q", v.Forward, edited)
	}
}
