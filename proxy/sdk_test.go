package proxy_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

const timeout = 10 * time.Second

// forEachKind runs f for every kind of go-sdk server, once with the go-sdk
// client connected directly (the baseline the fixtures must pass) and once
// through mcpscope, against a fresh upstream and client each time. Both
// routes must give the client the same results; through mcpscope, every
// request must still reach the upstream exactly once.
func forEachKind(t *testing.T, f func(t *testing.T, kind mcpserver.Kind, up *mcptest.Upstream, hs *harness, cs *mcp.ClientSession, rec *mcptest.ClientRecorder)) {
	for _, kind := range mcpserver.Kinds() {
		for _, route := range []string{"direct", "mcpscope"} {
			t.Run(string(kind)+"/"+route, func(t *testing.T) {
				t.Parallel()
				up := mcptest.StartUpstream(t, kind)
				endpoint := up.URL
				var hs *harness // nil on the direct route
				if route == "mcpscope" {
					hs = startProxy(t, up.URL, nil)
					endpoint = hs.URL + kind.Path()
				}
				cs, rec := mcptest.Connect(t, t.Context(), kind, endpoint, mcptest.ClientOptions{})
				f(t, kind, up, hs, cs, rec)
				if dups := up.Duplicates(); len(dups) > 0 {
					t.Errorf("requests or responses seen more than once upstream: %v", dups)
				}
			})
		}
	}
}

func call(t *testing.T, cs *mcp.ClientSession, p *mcp.CallToolParams) string {
	t.Helper()
	res, err := cs.CallTool(t.Context(), p)
	if err != nil {
		t.Fatalf("calling %s: %v", p.Name, err)
	}
	if res.IsError || len(res.Content) != 1 {
		t.Fatalf("calling %s: error result or not one content block: %+v", p.Name, res.Content)
	}
	return res.Content[0].(*mcp.TextContent).Text
}

func TestBasics(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind mcpserver.Kind, up *mcptest.Upstream, hs *harness, cs *mcp.ClientSession, _ *mcptest.ClientRecorder) {
		ctx := t.Context()
		tools, err := cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tool := range tools.Tools {
			names = append(names, tool.Name)
		}
		for _, want := range []string{"echo", "log", "notify_later", "progress", "sample"} {
			if !slices.Contains(names, want) {
				t.Errorf("tools = %v, missing %s", names, want)
			}
		}
		if got := call(t, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}}); got != "hi" {
			t.Errorf("echo = %q", got)
		}
		res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: mcpserver.GreetingURI})
		if err != nil || res.Contents[0].Text != "hello from mcpscope-demo" {
			t.Errorf("read resource = %+v, %v", res, err)
		}
		if _, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "greet", Arguments: map[string]string{"name": "x"}}); err != nil {
			t.Errorf("get prompt: %v", err)
		}
		m := up.Methods()
		for _, method := range []string{"tools/list", "tools/call", "resources/read", "prompts/get"} {
			if m[method] != 1 {
				t.Errorf("upstream saw %s %d times, want 1 (all: %v)", method, m[method], m)
			}
		}
		wantInit := 1
		if kind == mcpserver.Stateless {
			wantInit = 0
		}
		if m["server/discover"] != 1 || m["initialize"] != wantInit {
			t.Errorf("upstream saw discover %d, initialize %d times; want 1, %d", m["server/discover"], m["initialize"], wantInit)
		}
		if hs != nil && wantInit == 1 {
			// The answer to initialize comes with the session it creates,
			// but is linked to the request, which had none yet.
			answers := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
				return o.Kind == proxy.KindResult && o.Method == "initialize"
			})
			if len(answers) != 1 || answers[0].RequestSeq == 0 {
				t.Errorf("initialize's result: %d observations named initialize (request seq %v); want it linked to its request", len(answers), answers)
			}
		}
	})
}

func TestProgress(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind mcpserver.Kind, up *mcptest.Upstream, hs *harness, cs *mcp.ClientSession, rec *mcptest.ClientRecorder) {
		p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 50, "interval_ms": 5}}
		p.SetProgressToken("tok")
		if got := call(t, cs, p); got != "done 50" {
			t.Errorf("progress = %q", got)
		}
		returned := time.Now()
		evs, err := rec.WaitProgress(50, timeout)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 50 {
			t.Errorf("got %d progress notifications, want 50", len(evs))
		}
		if !evs[0].At.Before(returned) {
			t.Errorf("first progress notification arrived %v after the call returned", evs[0].At.Sub(returned))
		}
		for i, e := range evs {
			pp := e.Params.(*mcp.ProgressNotificationParams)
			if pp.ProgressToken != "tok" || pp.Progress != float64(i+1) || pp.Total != 50 {
				t.Errorf("notification %d = %+v", i, pp)
			}
		}
		if n := up.Methods()["tools/call"]; n != 1 {
			t.Errorf("upstream saw %d tools/call, want 1", n)
		}
		if hs != nil {
			checkProgressObserved(t, kind, hs)
		}
	})
}

// checkProgressObserved checks that the proxy published each progress
// notification as it passed, and linked the call's result to its request.
func checkProgressObserved(t *testing.T, kind mcpserver.Kind, hs *harness) {
	t.Helper()
	progress := hs.Seen.Await(t, 50, func(o *proxy.Observation) bool {
		return o.Method == mcptest.MethodProgress && o.Direction == proxy.ServerToClient
	})
	if len(progress) != 50 {
		t.Errorf("proxy observed %d progress notifications, want 50", len(progress))
	}
	for _, o := range progress {
		if kind != mcpserver.StatefulJSON && (o.Type != proxy.TypeSSEEvent || o.Stream == "" || o.Raw == "") {
			t.Errorf("progress observed as %+v, want an SSE event with its stream and raw bytes", o)
			break
		}
	}
	results := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Kind == proxy.KindResult && o.Method == "tools/call"
	})
	if len(results) != 1 || results[0].RequestSeq == 0 || string(results[0].ID) == "" {
		t.Errorf("tools/call results observed: %d, want 1 linked to its request (%+v)", len(results), results)
	}
}

func TestLogs(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind mcpserver.Kind, _ *mcptest.Upstream, hs *harness, cs *mcp.ClientSession, rec *mcptest.ClientRecorder) {
		// Without a progress token, progress sends log messages.
		call(t, cs, &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 3}})
		if got := call(t, cs, &mcp.CallToolParams{Name: "log", Arguments: map[string]any{"count": 5}}); got != "logged 5" {
			t.Errorf("log = %q", got)
		}
		evs, err := rec.Wait(mcptest.MethodLog, 8, timeout)
		if err != nil {
			t.Fatal(err)
		}
		var got []any
		for _, e := range evs {
			got = append(got, e.Params.(*mcp.LoggingMessageParams).Data)
		}
		want := []any{"step 1/3", "step 2/3", "step 3/3", "log 1/5", "log 2/5", "log 3/5", "log 4/5", "log 5/5"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("log messages = %v, want %v", got, want)
		}
	})
}

func TestSample(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind mcpserver.Kind, up *mcptest.Upstream, hs *harness, cs *mcp.ClientSession, rec *mcptest.ClientRecorder) {
		if got, want := call(t, cs, &mcp.CallToolParams{Name: "sample", Arguments: map[string]any{"prompt": "why?"}}), mcptest.SampleReply("why?"); got != want {
			t.Errorf("sample = %q, want %q", got, want)
		}
		if n := len(rec.Events(mcptest.MethodSampling)); n != 1 {
			t.Errorf("client got %d sampling requests, want 1", n)
		}
		// Before 2026-07-28 the answer is a JSON-RPC response POSTed back; on
		// 2026-07-28 it travels in a second tools/call (multi round-trip).
		calls, responses := 1, 1
		if kind == mcpserver.Stateless {
			calls, responses = 2, 0
		}
		if n := up.Methods()["tools/call"]; n != calls {
			t.Errorf("upstream saw %d tools/call, want %d", n, calls)
		}
		if n := len(up.Responses()); n != responses {
			t.Errorf("upstream saw %d client responses, want %d: %v", n, responses, up.Responses())
		}
	})
}

func TestNotifyLater(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind mcpserver.Kind, up *mcptest.Upstream, hs *harness, cs *mcp.ClientSession, rec *mcptest.ClientRecorder) {
		if kind == mcpserver.Stateless {
			// The sessionless stand-in for the GET stream is the
			// subscriptions/listen POST that Connect opens in the background.
			waitFor(t, func() bool { return up.Methods()["subscriptions/listen"] == 1 })
		}
		if err := cs.Subscribe(t.Context(), &mcp.SubscribeParams{URI: mcpserver.GreetingURI}); err != nil {
			t.Fatal(err)
		}
		if kind == mcpserver.Stateless {
			waitFor(t, func() bool { return up.Methods()["subscriptions/listen"] == 2 })
			time.Sleep(50 * time.Millisecond) // let the server register the subscription
		}
		call(t, cs, &mcp.CallToolParams{Name: "notify_later", Arguments: map[string]any{"delay_ms": 100}})
		returned := time.Now()
		methods := []string{mcptest.MethodToolListChanged, mcptest.MethodResourceUpdated}
		if kind != mcpserver.Stateless { // the calling session is gone there
			methods = append(methods, mcptest.MethodLog)
		}
		for _, m := range methods {
			evs, err := rec.Wait(m, 1, timeout)
			if err != nil {
				t.Fatal(err)
			}
			if evs[0].At.Before(returned) {
				t.Errorf("%s arrived before the call returned", m)
			}
		}
		if kind == mcpserver.Stateful || kind == mcpserver.StatefulJSON {
			if n := up.HTTPCount("GET"); n != 1 {
				t.Errorf("upstream saw %d GETs, want 1 standalone stream", n)
			}
		}
	})
}

func TestClose(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind mcpserver.Kind, up *mcptest.Upstream, hs *harness, cs *mcp.ClientSession, _ *mcptest.ClientRecorder) {
		if err := cs.Close(); err != nil {
			t.Fatal(err)
		}
		wantDelete := 0
		if kind == mcpserver.Stateful || kind == mcpserver.StatefulJSON {
			wantDelete = 1
		}
		if n := up.HTTPCount("DELETE"); n != wantDelete {
			t.Errorf("upstream saw %d DELETEs, want %d", n, wantDelete)
		}
		waitFor(t, func() bool { return len(slices.Collect(up.Server.Sessions())) == 0 })
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not met before timeout")
		case <-time.After(5 * time.Millisecond):
		}
	}
}
