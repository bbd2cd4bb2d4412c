package ui

import (
	"context"
	"errors"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mcpscope/mcpscope/proxy"
)

// frameInterval bounds how often the bridge hands the program a batch:
// every message costs a full View (about half a millisecond at 120×40), so
// observations go in batches, never one Send per event. At 30 batches a
// second the UI took enough CPU on a 2-core machine to triple the proxy's
// p99 added latency; at 10 it stays within headless's (docs/BENCHMARKS.md).
// Keys are handled at once, whatever this is.
const frameInterval = time.Second / 10

// Run shows the UI until the user quits or ctx ends. It reads observations
// from sub (which the caller owns and closes) through one bridge goroutine,
// and ends it before returning. Extra program options (input, output, size)
// are for tests.
func Run(ctx context.Context, engine Engine, sub *proxy.Subscription, opts Options, programOptions ...tea.ProgramOption) error {
	return run(ctx, engine, func(ctx context.Context, send func(tea.Msg)) { bridge(ctx, sub, send) }, opts, programOptions...)
}

// RunRecording shows the UI over recorded observations (mcpscope open):
// the same panes, filter and keys, over an engine that cannot pause
// anything.
func RunRecording(ctx context.Context, engine Engine, obs []*proxy.Observation, opts Options, programOptions ...tea.ProgramOption) error {
	feed := func(ctx context.Context, send func(tea.Msg)) {
		for len(obs) > 0 && ctx.Err() == nil {
			n := min(len(obs), 4096)
			send(observationsMsg(obs[:n]))
			obs = obs[n:]
		}
	}
	return run(ctx, engine, feed, opts, programOptions...)
}

// run runs the program with feed as the one goroutine that sends it
// observations; feed must return once its context ends.
func run(ctx context.Context, engine Engine, feed func(context.Context, func(tea.Msg)), opts Options, programOptions ...tea.ProgramOption) error {
	m := New(engine, opts)
	options := []tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx)}
	if !opts.NoMouse {
		options = append(options, tea.WithMouseCellMotion()) // clicks, the wheel, and drags (mouse.go)
	}
	options = append(options, programOptions...)
	p := tea.NewProgram(m, options...)
	bridgeCtx, stopBridge := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { feed(bridgeCtx, p.Send) })
	if opts.Progress != nil {
		wg.Go(func() { forwardProgress(bridgeCtx, opts.Progress, p.Send) })
	}
	_, err := p.Run()
	stopBridge()
	wg.Wait()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // asked to stop from outside: not a failure
	}
	return err
}

// bridge is the one goroutine that feeds the program: it takes everything
// the subscription has queued, sends it as one message, and waits a frame
// before the next. It returns when ctx ends or the subscription closes.
func bridge(ctx context.Context, sub *proxy.Subscription, send func(tea.Msg)) {
	for {
		batch, err := sub.Next(ctx)
		if err != nil {
			return
		}
		send(observationsMsg(batch)) // Next gives the batch to keep
		select {
		case <-ctx.Done():
			return
		case <-time.After(frameInterval):
		}
	}
}
