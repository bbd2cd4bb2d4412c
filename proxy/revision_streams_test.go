package proxy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/proxy/store"
)

// progressCall calls the progress tool with a progress token and returns
// its result text and the progress values the client got.
func progressCall(t *testing.T, rig *revisionRig, count int) (string, []float64) {
	t.Helper()
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": count, "interval_ms": 5}}
	p.SetProgressToken("tok")
	res, err := rig.cs.CallTool(t.Context(), p)
	if err != nil {
		t.Fatalf("progress: %v", err)
	}
	evs, err := rig.rec.WaitProgress(count, timeout)
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, e := range evs {
		got = append(got, e.Params.(*mcp.ProgressNotificationParams).Progress)
	}
	return res.Content[0].(*mcp.TextContent).Text, got
}

// changeProgress is a rule that changes every progress notification.
const changeProgress = `
- name: relabel
  match: method:notifications/progress
  action: modify
  set: {params.message: relabelled}
`

// mintingCase runs the progress call on a Stateless upstream for version,
// directly and through mcpscope with a replay log and a drain window, with
// and without a rule changing the events, and returns the ids the client
// received on each route through mcpscope.
func mintingCase(t *testing.T, version string, check func(t *testing.T, rule bool, ids []string, seen *observed)) {
	for _, rule := range []bool{false, true} {
		name := "no rule"
		if rule {
			name = "modify rule"
		}
		t.Run(name, func(t *testing.T) {
			var direct string
			var directProgress []float64
			for _, route := range bothRoutes {
				configure := withLog(store.NewMemoryLog(store.LogLimits{Events: 100, Age: time.Minute}))
				if rule {
					configure = combine(configure, withRules(t, changeProgress))
				}
				rig := startRevisionRig(t, route, version, configure, nil)
				text, progress := progressCall(t, rig, 3)
				if route == "direct" {
					direct, directProgress = text, progress
					if ids := rig.tap.idLines(); len(ids) != 0 {
						t.Fatalf("the Stateless upstream itself sent ids on %s: %v", version, ids)
					}
					continue
				}
				if text != direct || len(progress) != len(directProgress) {
					t.Errorf("through mcpscope: %q %v, direct: %q %v", text, progress, direct, directProgress)
				}
				check(t, rule, rig.tap.idLines(), rig.hs.Seen)
			}
		})
	}
}

// TestChecklist2026NoEventIDs: on 2026-07-28 mcpscope gives the events of a
// stream no ids of its own, even with a replay log on and a rule changing
// them (the events are re-encoded without ids), and logs nothing.
func TestChecklist2026NoEventIDs(t *testing.T) {
	mintingCase(t, mcptest.SessionlessVersion, func(t *testing.T, rule bool, ids []string, seen *observed) {
		if len(ids) != 0 {
			t.Errorf("the client got event ids on 2026-07-28: %v", ids)
		}
		if rule {
			seen.Await(t, 3, func(o *proxy.Observation) bool { return o.Decision != nil && o.Decision.After != "" })
		}
		changed := 0
		for _, o := range seen.snapshot() {
			if o.MintedID != "" {
				t.Errorf("an event was given an id: %+v", o)
			}
			if o.Decision != nil && o.Decision.Action == "modify" && o.Decision.After != "" {
				changed++
			}
			if o.HTTP != nil && o.HTTP.Method == "POST" && o.HTTP.Revision != mcptest.SessionlessVersion {
				t.Errorf("an exchange records revision %q", o.HTTP.Revision)
			}
		}
		if rule && changed != 3 {
			t.Errorf("the rule changed %d events, want 3: the case it tests did not happen", changed)
		}
	})
}

// TestChecklist20251125StatelessMintsIDs: the same upstream spoken to on
// 2025-11-25 gives no ids either, and there mcpscope mints its own so the
// client can resume.
func TestChecklist20251125StatelessMintsIDs(t *testing.T) {
	mintingCase(t, "2025-11-25", func(t *testing.T, _ bool, ids []string, _ *observed) {
		if len(ids) == 0 {
			t.Fatal("the client got no event ids on 2025-11-25")
		}
		for _, id := range ids {
			if !strings.HasPrefix(id, "id: mcps1.") {
				t.Errorf("id %q is not one mcpscope minted", id)
			}
		}
	})
}

// blockingTool adds a tool to up that sends one progress notification, then
// waits until its request's context ends (started, then ended are closed)
// or release is closed.
func blockingTool(up *mcptest.Upstream, started, ended, release chan struct{}) {
	mcp.AddTool(up.Server, &mcp.Tool{Name: "wait"}, func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: req.Params.GetProgressToken(), Progress: 1, Message: "waiting"})
		close(started)
		select {
		case <-ctx.Done():
			close(ended)
			return nil, nil, ctx.Err()
		case <-release:
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "released"}}}, nil, nil
		}
	})
}

// abandonWait starts the wait tool, waits until it runs and has sent its
// progress (so a 2025 stream mints and drains), then cancels the call.
func abandonWait(t *testing.T, rig *revisionRig, started chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		p := &mcp.CallToolParams{Name: "wait", Arguments: map[string]any{}}
		p.SetProgressToken("w")
		_, err := rig.cs.CallTool(ctx, p)
		errc <- err
	}()
	select {
	case <-started:
	case <-time.After(timeout):
		t.Fatal("the tool never started")
	}
	if _, err := rig.rec.WaitProgress(1, timeout); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("the cancelled call succeeded")
	}
}

// TestChecklist2026CloseCancelsUpstream: on 2026-07-28 a client closing
// its stream cancels the call, so the upstream's handler sees its context
// end, through mcpscope as directly, though mcpscope drains 2025 streams
// for a minute (replay log on).
func TestChecklist2026CloseCancelsUpstream(t *testing.T) {
	for _, route := range bothRoutes {
		t.Run(route, func(t *testing.T) {
			started, ended, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
			defer close(release)
			rig := startRevisionRig(t, route, mcptest.SessionlessVersion,
				withLog(store.NewMemoryLog(store.LogLimits{Events: 100, Age: time.Minute})),
				func(up *mcptest.Upstream) { blockingTool(up, started, ended, release) })
			abandonWait(t, rig, started)
			select {
			case <-ended:
			case <-time.After(5 * time.Second):
				t.Fatal("the upstream call was not cancelled when the client closed its stream")
			}
		})
	}
}

// TestChecklist20251125DisconnectDrains: on 2025-11-25 a client leaving is
// not a cancellation: through mcpscope (replay log on) the upstream call
// goes on, and what it sends after is read into the log.
func TestChecklist20251125DisconnectDrains(t *testing.T) {
	started, ended, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	rig := startRevisionRig(t, "mcpscope", "2025-11-25",
		withLog(store.NewMemoryLog(store.LogLimits{Events: 100, Age: time.Minute})),
		func(up *mcptest.Upstream) { blockingTool(up, started, ended, release) })
	abandonWait(t, rig, started)
	select {
	case <-ended:
		t.Fatal("the upstream call was cancelled when a 2025-11-25 client left")
	case <-time.After(500 * time.Millisecond):
	}
	close(release)
	waitFor(t, func() bool {
		for _, o := range rig.hs.Seen.snapshot() {
			if o.Type == proxy.TypeSSEEvent && strings.Contains(o.Body, "released") && o.MintedID != "" {
				return true
			}
		}
		return false
	})
}

// TestChecklist2026CutFailsOnlyTheCall: a rule cutting a 2026-07-28 stream
// fails that call only: with no ids the client does not try to resume (no
// GET, no Last-Event-ID reaches mcpscope or the upstream), and its next
// call succeeds.
func TestChecklist2026CutFailsOnlyTheCall(t *testing.T) {
	rig := startRevisionRig(t, "mcpscope", mcptest.SessionlessVersion, combine(
		withLog(store.NewMemoryLog(store.LogLimits{Events: 100, Age: time.Minute})),
		withRules(t, `
- name: cut
  match: method:notifications/progress
  action: cut
  after: 1
`)), nil)
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 3, "interval_ms": 5}}
	p.SetProgressToken("c")
	if _, err := rig.cs.CallTool(t.Context(), p); err == nil {
		t.Fatal("the cut call succeeded")
	}
	if got := call(t, rig.cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "after"}}); got != "after" {
		t.Errorf("the next call answered %q", got)
	}
	if gets, resuming := rig.tap.sent("GET"); gets != 0 || resuming != 0 {
		t.Errorf("the client sent %d GETs (%d with Last-Event-ID)", gets, resuming)
	}
	if _, resuming := rig.tap.sent("POST"); resuming != 0 {
		t.Errorf("the client sent %d POSTs with Last-Event-ID", resuming)
	}
	if n := rig.up.HTTPCount("GET"); n != 0 {
		t.Errorf("the upstream got %d GETs", n)
	}
	if ids := rig.tap.idLines(); len(ids) != 0 {
		t.Errorf("the client got event ids: %v", ids)
	}
}
