package proxy_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/rules"
)

// withRules parses YAML rules into a proxy configuration.
func withRules(t *testing.T, yaml string) func(*proxy.Proxy) {
	t.Helper()
	set, err := rules.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return func(p *proxy.Proxy) { p.SetRules(set) }
}

// sdkThrough connects a go-sdk client through a proxy with rules to a
// go-sdk upstream of the given kind.
func sdkThrough(t *testing.T, kind mcpserver.Kind, yaml string) (*mcptest.Upstream, *harness, *mcp.ClientSession, *mcptest.ClientRecorder) {
	t.Helper()
	up := mcptest.StartUpstream(t, kind)
	hs := startProxy(t, up.URL, withRules(t, yaml))
	cs, rec := mcptest.Connect(t, t.Context(), kind, hs.URL+kind.Path(), mcptest.ClientOptions{})
	return up, hs, cs, rec
}

func TestRuleBlock(t *testing.T) {
	up, hs, cs, _ := sdkThrough(t, mcpserver.Stateful, `
- name: no echo
  match: tool:echo
  action: block
  error: {code: -32042, message: "echo is blocked"}
`)
	_, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
	var rpcErr *jsonrpc.Error
	if !errors.As(err, &rpcErr) || rpcErr.Code != -32042 || rpcErr.Message != "echo is blocked" {
		t.Fatalf("blocked call returned %v, want the rule's error -32042", err)
	}
	if n := up.Methods()["tools/call"]; n != 0 {
		t.Errorf("the blocked call reached the upstream %d times", n)
	}
	var decided []*proxy.Observation
	waitFor(t, func() bool { // the observer gets it on its own goroutine
		decided = hs.Seen.Matching(func(o *proxy.Observation) bool { return o.Decision != nil && o.Decision.Action == "block" })
		return len(decided) > 0
	})
	if len(decided) != 1 || decided[0].Decision.Rules[0] != "no echo" {
		t.Errorf("decisions = %v, want the block on the call", decided)
	}
	// Other calls still go through.
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "log", Arguments: map[string]any{"count": 1}}); err != nil {
		t.Errorf("an unmatched call failed: %v", err)
	}
}

func TestRuleModifyKeepsNeighboursBytes(t *testing.T) {
	var raw strings.Builder
	up := startUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 1; i <= 3; i++ {
			fmt.Fprintf(w, "id: %d\r\nevent: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":%d,\"total\":3}}\r\n\r\n", i, i)
		}
	}))
	hs := startProxy(t, up.URL, withRules(t, `
- name: second progress
  match: params.progress=2
  action: modify
  set: {params.message: "changed"}
  delete: [params.total]
`))
	resp, err := hs.Client.Get(hs.URL + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	raw.Write(body)
	want := "id: 1\r\nevent: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1,\"total\":3}}\r\n\r\n" +
		"id: 2\r\nevent: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":2,\"message\":\"changed\"}}\r\n\r\n" +
		"id: 3\r\nevent: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":3,\"total\":3}}\r\n\r\n"
	if raw.String() != want {
		t.Errorf("client got\n%q\nwant only the second event's changed values to differ (its framing and its neighbours' bytes, CRLF, untouched):\n%q", raw.String(), want)
	}
}

func TestRuleMockWithUpstreamDown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	hs := startProxy(t, dead, withRules(t, `
- name: offline
  match: method:tools/call tool:weather
  action: mock
  result: {content: [{type: text, text: sunny}]}
`))
	resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json",
		strings.NewReader(`{"jsonrpc":"2.0","id":"w1","method":"tools/call","params":{"name":"weather"}}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"jsonrpc":"2.0","id":"w1","result":{"content":[{"text":"sunny","type":"text"}]}}` {
		t.Errorf("mock answered %d %s", resp.StatusCode, body)
	}
}

func TestRuleDelayOnlyWhatMatches(t *testing.T) {
	_, _, cs, _ := sdkThrough(t, mcpserver.Stateful, `
- name: slow echo
  match: tool:echo
  action: delay
  delay: 400ms
`)
	timeCall := func(name string, args map[string]any) time.Duration {
		start := time.Now()
		if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: name, Arguments: args}); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	if d := timeCall("echo", map[string]any{"text": "x"}); d < 400*time.Millisecond {
		t.Errorf("matched call took %v, want ≥ 400ms", d)
	}
	if d := timeCall("log", map[string]any{"count": 1}); d > 300*time.Millisecond {
		t.Errorf("unmatched call took %v: the delay leaked", d)
	}
}

func TestRuleBreakpointResumeEdited(t *testing.T) {
	up, hs, cs, _ := sdkThrough(t, mcpserver.Stateful, `
- name: hold echo
  match: tool:echo
  action: breakpoint
  timeout: 20s
`)
	call := callInBackground(t, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "original"}})
	var held []proxy.HeldInfo
	waitFor(t, func() bool { held = hs.Proxy.Held(); return len(held) == 1 })
	if n := up.Methods()["tools/call"]; n != 0 {
		t.Fatalf("a held call reached the upstream")
	}
	edited := strings.Replace(held[0].Message, "original", "edited", 1)
	if err := hs.Proxy.ResumeHeld(held[0].ID, "not json", "test"); err == nil {
		t.Error("resuming with a broken message was accepted")
	}
	if err := hs.Proxy.ResumeHeld(held[0].ID, edited, "test"); err != nil {
		t.Fatal(err)
	}
	if err := <-call; err != nil {
		t.Fatal(err)
	}
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "log", Arguments: map[string]any{"count": 0}})
	if err != nil || res.IsError {
		t.Fatal(err)
	}
	got := up.Requests()
	var sawEdited bool
	for _, r := range got {
		for _, m := range r.Messages {
			sawEdited = sawEdited || (m.Method == "tools/call" && strings.Contains(r.Body, `"edited"`))
		}
	}
	if !sawEdited {
		t.Errorf("the upstream never received the edited argument")
	}
	if err := hs.Proxy.ResumeHeld(held[0].ID, "", "test"); err == nil {
		t.Error("a held message resolved twice")
	}
}

// sseFrom reads SSE events (as raw blocks) from a proxied GET.
func sseFrom(t *testing.T, hs *harness) ([]string, error) {
	t.Helper()
	resp, err := hs.Client.Get(hs.URL + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var events []string
	var cur strings.Builder
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return events, err
		}
		cur.WriteString(line)
		if line == "\n" {
			events = append(events, cur.String())
			cur.Reset()
		}
	}
}

func tenEvents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 1; i <= 10; i++ {
			fmt.Fprintf(w, "id: %d\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":%d}}\n\n", i, i)
			w.(http.Flusher).Flush()
		}
	})
}

func TestRuleCutAfterN(t *testing.T) {
	hs := startProxy(t, startUpstream(t, tenEvents()).URL, withRules(t, `
- name: cut
  match: method:notifications/progress
  action: cut
  after: 4
`))
	events, err := sseFrom(t, hs)
	if len(events) != 4 || err == nil || err == io.EOF {
		t.Errorf("got %d events and end %v; want 4 then a broken connection (not a clean end)", len(events), err)
	}
	if len(events) > 0 && !strings.HasPrefix(events[len(events)-1], "id: 4\n") {
		t.Errorf("last event before the cut: %q", events[len(events)-1])
	}
}

func TestRuleMalformedAndInject(t *testing.T) {
	hs := startProxy(t, startUpstream(t, tenEvents()).URL, withRules(t, `
- name: garbage
  match: params.progress=3
  action: malformed
  frame: "data: {not json\n\n"
- name: inject
  match: params.progress=5
  action: inject
  notification: {method: notifications/message, params: {level: info, data: injected}}
`))
	events, _ := sseFrom(t, hs)
	if len(events) != 11 {
		t.Fatalf("got %d events, want 10 + 1 injected: %q", len(events), events)
	}
	if events[2] != "data: {not json\n\n" {
		t.Errorf("third event = %q, want the malformed frame", events[2])
	}
	if !strings.HasPrefix(events[4], "id: 5\n") || !strings.Contains(events[5], `"data":"injected"`) || !strings.HasPrefix(events[6], "id: 6\n") {
		t.Errorf("the injected notification is not right after event 5: %q", events[4:7])
	}
}

func TestRuleDropEvent(t *testing.T) {
	hs := startProxy(t, startUpstream(t, tenEvents()).URL, withRules(t, `
- name: odd ones
  match: params.progress=1 or params.progress=9
  action: drop
`))
	events, _ := sseFrom(t, hs)
	if len(events) != 8 || !strings.HasPrefix(events[0], "id: 2\n") {
		t.Errorf("got %d events starting %q, want 8 starting with id 2", len(events), events[0])
	}
}

// TestRuleCutThenResume cuts a go-sdk tool call's stream: the client
// resumes with Last-Event-ID (through mcpscope, from the server's event
// store) and gets every progress notification once, and the result.
func TestRuleCutThenResume(t *testing.T) {
	_, hs, cs, rec := sdkThrough(t, mcpserver.Stateful, `
- name: flaky
  match: method:notifications/progress
  action: cut
  after: 6
`)
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 12, "interval_ms": 5}}
	p.SetProgressToken("tok")
	res, err := cs.CallTool(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Content[0].(*mcp.TextContent).Text; got != "done 12" {
		t.Errorf("result %q", got)
	}
	evs, err := rec.WaitProgress(12, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		if e.Params.(*mcp.ProgressNotificationParams).Progress != float64(i+1) {
			t.Fatalf("progress %d arrived as %v: lost or duplicated across the resumption", i+1, e.Params)
		}
	}
	cuts := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Type == proxy.TypeStreamClosed && strings.HasPrefix(o.Reason, "cut by rule")
	})
	if len(cuts) == 0 {
		t.Error("no stream was cut")
	}
}

// TestRuleBreakpointHoldsItsStream holds a server→client event: the client
// gets nothing after it (its stream waits, as a pause does) until it is
// resumed, then everything in order.
func TestRuleBreakpointHoldsItsStream(t *testing.T) {
	hs := startProxy(t, startUpstream(t, tenEvents()).URL, withRules(t, `
- name: hold the third
  match: params.progress=3
  action: breakpoint
`))
	got := make(chan []string, 1)
	go func() { evs, _ := sseFrom(t, hs); got <- evs }()
	var held []proxy.HeldInfo
	waitFor(t, func() bool { held = hs.Proxy.Held(); return len(held) == 1 })
	if held[0].Direction != proxy.ServerToClient || !strings.Contains(held[0].Message, `"progress":3`) {
		t.Fatalf("held = %+v", held[0])
	}
	waitFor(t, func() bool {
		for _, s := range hs.Proxy.Streams() {
			return s.Events == 2
		}
		return false
	})
	time.Sleep(200 * time.Millisecond)
	if n := hs.Proxy.Streams()[0].Events; n != 2 {
		t.Fatalf("the stream forwarded %d events while the third was held, want 2", n)
	}
	if err := hs.Proxy.ResumeHeld(held[0].ID, "", "test"); err != nil {
		t.Fatal(err)
	}
	evs := <-got
	if len(evs) != 10 {
		t.Fatalf("got %d events after the resume, want all 10", len(evs))
	}
	for i, e := range evs {
		if !strings.HasPrefix(e, fmt.Sprintf("id: %d\n", i+1)) {
			t.Errorf("event %d is %q", i+1, e)
		}
	}
}

// TestRuleBreakpointKeepsOrder: events read in the same chunk before a held
// one are observed before it (the stream hands over its observations
// before the held message is published).
func TestRuleBreakpointKeepsOrder(t *testing.T) {
	hs := through(t, replayingEverything(), withRules(t, `
- name: hold the third
  match: params.progress=3
  action: breakpoint
`))
	done := make(chan []idEvent, 1)
	go func() { done <- postForEvents(t, hs) }()
	var held []proxy.HeldInfo
	waitFor(t, func() bool { held = hs.Proxy.Held(); return len(held) == 1 })
	before := hs.Seen.Await(t, 2, func(o *proxy.Observation) bool {
		return o.Type == proxy.TypeSSEEvent && (o.EventID == "u1" || o.EventID == "u2")
	})
	if len(before) != 2 || before[0].Seq > held[0].Seq || before[1].Seq > held[0].Seq {
		t.Errorf("events 1 and 2 observed at seq %v, the held third at %d: out of order", []uint64{before[0].Seq, before[1].Seq}, held[0].Seq)
	}
	if err := hs.Proxy.ResumeHeld(held[0].ID, "", "test"); err != nil {
		t.Fatal(err)
	}
	if evs := <-done; len(evs) != 10 {
		t.Errorf("got %d events after the resume, want 10", len(evs))
	}
}

// TestRulesOnBorrowedEvents: events of a bulk stream are observed from the
// proxy's leased read buffers; a rule that acts on one gives it (and its
// decision) bytes of their own. After the stream, every observation an
// observer kept still reads as sent (released buffers are poisoned in
// tests), and the rule's change reached the client.
func TestRulesOnBorrowedEvents(t *testing.T) {
	const events = 300
	pad := strings.Repeat("p", 20<<10)
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range events {
			fmt.Fprintf(w, "id: %d\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":%d,\"message\":%q}}\n\n", i, i, pad)
		}
	})
	hs := startProxy(t, startUpstream(t, up).URL, withRules(t, `
- name: mark
  match: params.progress=150
  action: modify
  set: {params.message: changed}
`))
	got, err := sseFrom(t, hs)
	if err != io.EOF && err != nil || len(got) != events {
		t.Fatalf("client got %d events (%v), want %d", len(got), err, events)
	}
	if !strings.Contains(got[150], `"message":"changed"`) {
		t.Errorf("the rule's change did not reach the client: %.80q", got[150])
	}
	seen := hs.Seen.Await(t, events, func(o *proxy.Observation) bool { return o.Type == proxy.TypeSSEEvent })
	for i, o := range seen {
		want := fmt.Sprintf(`"progress":%d,`, i)
		if i == 150 {
			want = `"changed"`
		}
		if !strings.Contains(o.Body, want) || !strings.HasPrefix(o.Raw, fmt.Sprintf("id: %d\n", i)) || o.EventID != strconv.Itoa(i) {
			t.Fatalf("observation of event %d changed after the stream: id %q, body %.60q", i, o.EventID, o.Body)
		}
		if i == 150 && (o.Decision == nil || !strings.Contains(o.Decision.Before, pad) || !strings.Contains(o.Decision.After, "changed")) {
			t.Errorf("event 150's decision: %+v", o.Decision)
		}
	}
}
