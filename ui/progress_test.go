package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

// TestProgressShowsUntilTrafficFlows: what the demo says while its server
// and client start (Options.Progress, forwarded as Run forwards it) is on
// the screen before any traffic, each step replacing the last, and gone
// once the first observations arrive.
func TestProgressShowsUntilTrafficFlows(t *testing.T) {
	progress := make(chan string)
	m := New(newFakeEngine(), Options{Info: Info{Listen: "127.0.0.1:7331", Upstream: "http://127.0.0.1:3001/mcp"}, TickInterval: time.Hour, Progress: progress})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 40))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); forwardProgress(ctx, progress, tm.Send) }()
	defer func() { cancel(); <-done }()

	progress <- "starting the demo server…"
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "starting the demo server…") },
		teatest.WithDuration(5*time.Second))
	progress <- "demo client connecting through mcpscope…"
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "demo client connecting through mcpscope…") },
		teatest.WithDuration(5*time.Second))
	if view := plain(m.View()); strings.Contains(view, "starting the demo server") || !strings.Contains(view, "waiting for traffic") {
		t.Errorf("the second step does not replace the first, or traffic is shown:\n%s", view)
	}
	tm.Send(observationsMsg(traffic()))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "tools/call") },
		teatest.WithDuration(5*time.Second))
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := plain(tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model).View())
	if strings.Contains(final, "connecting") || strings.Contains(final, "waiting for traffic") {
		t.Errorf("the progress stays once traffic flows:\n%s", final)
	}
}

// TestForwardProgressEnds: the forwarder ends when its channel closes and
// when the UI ends, whichever comes first.
func TestForwardProgressEnds(t *testing.T) {
	closed := make(chan string)
	close(closed)
	forwardProgress(t.Context(), closed, func(tea.Msg) {}) // returns: the channel is closed
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	forwardProgress(ctx, make(chan string), func(tea.Msg) {}) // returns: the UI ended
}
