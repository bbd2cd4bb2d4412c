package proxy_test

import (
	"context"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/proxy/store"
)

// listenEnds makes up close the returned channel once a
// subscriptions/listen handler returns.
func listenEnds(up *mcptest.Upstream) <-chan struct{} {
	ended := make(chan struct{})
	up.Server.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			if method == "subscriptions/listen" {
				close(ended)
			}
			return res, err
		}
	})
	return ended
}

// TestChecklist2026ListenCloseCancelsUpstream: closing a 2026-07-28
// session ends its subscriptions/listen stream at the upstream at once,
// through mcpscope (replay log on, which drains 2025 streams) as directly.
func TestChecklist2026ListenCloseCancelsUpstream(t *testing.T) {
	for _, route := range bothRoutes {
		t.Run(route, func(t *testing.T) {
			var ended <-chan struct{}
			rig := startRevisionRig(t, route, mcptest.SessionlessVersion,
				withLog(store.NewMemoryLog(store.LogLimits{Events: 100, Age: time.Minute})),
				func(up *mcptest.Upstream) { ended = listenEnds(up) })
			waitFor(t, func() bool { return rig.up.Methods()["subscriptions/listen"] == 1 })
			rig.cs.Close()
			select {
			case <-ended:
			case <-time.After(5 * time.Second):
				t.Fatal("the upstream's listen stream outlived the client's")
			}
		})
	}
}

// TestChecklist2026ListenStreamPauseStepResume: a subscriptions/listen
// stream pauses, steps and resumes like any other: paused, two
// tools/list_changed notifications wait; a step lets one through; resuming
// lets the other.
func TestChecklist2026ListenStreamPauseStepResume(t *testing.T) {
	rig := startRevisionRig(t, "mcpscope", mcptest.SessionlessVersion, nil, nil)
	listen := rig.hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Type == proxy.TypeMessage && o.Method == "subscriptions/listen" && o.Direction == proxy.ClientToServer
	})
	if len(listen) != 1 {
		t.Fatalf("saw %d subscriptions/listen requests", len(listen))
	}
	opened := rig.hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Type == proxy.TypeStreamOpened && o.Exchange == listen[0].Exchange
	})
	if len(opened) != 1 {
		t.Fatal("the listen stream was not seen opening")
	}
	stream := opened[0].Stream
	if acked := rig.hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Stream == stream && o.Method == "notifications/subscriptions/acknowledged"
	}); len(acked) != 1 {
		t.Fatal("the listen stream was not acknowledged")
	}
	if err := rig.hs.Proxy.PauseStream(stream, "test"); err != nil {
		t.Fatal(err)
	}
	addTool := func(name string) {
		mcp.AddTool(rig.up.Server, &mcp.Tool{Name: name}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{}, nil, nil
		})
		time.Sleep(300 * time.Millisecond) // past the server's 10 ms coalescing of list_changed
	}
	changed := func() int { return len(rig.rec.Events(mcptest.MethodToolListChanged)) }
	addTool("first")
	addTool("second")
	if n := changed(); n != 0 {
		t.Fatalf("a paused listen stream delivered %d notifications", n)
	}
	if err := rig.hs.Proxy.StepStream(stream, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := rig.rec.Wait(mcptest.MethodToolListChanged, 1, timeout); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := changed(); n != 1 {
		t.Fatalf("a step delivered %d notifications, want 1", n)
	}
	if err := rig.hs.Proxy.ResumeStream(stream, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := rig.rec.Wait(mcptest.MethodToolListChanged, 2, timeout); err != nil {
		t.Fatal(err)
	}
}
