package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/x/term"

	"mcpscope/proxy"
	"mcpscope/record"
	"mcpscope/ui"
)

// uiBuffer and uiBytes bound the observations queued for the TUI, in
// number and in bytes; the UI drops (and counts) events past them rather
// than slow the proxy. (The headless printer keeps the bus's default byte
// bound: a pipe nobody drains costs a few MiB.)
const (
	uiBuffer = 1 << 16
	uiBytes  = 8 << 20
)

// display returns what shows the observations: the TUI when stdin and
// stdout are a terminal and --headless is off, JSON Lines otherwise.
func (o *options) display(p *proxy.Proxy, stdout, stderr io.Writer, addr string) func(context.Context, *proxy.Subscription) error {
	redactor := o.redactor()
	headless := func(ctx context.Context, sub *proxy.Subscription) error {
		return record.WriteJSONLines(ctx, sub, stdout, redactor)
	}
	if o.headless {
		return headless
	}
	if !isTerminal(stdout) || !term.IsTerminal(os.Stdin.Fd()) {
		fmt.Fprintln(stderr, "mcpscope: not a terminal, printing JSON Lines instead of the UI (--headless says so on purpose)")
		return headless
	}
	o.tui = true
	upstream, _ := redactor.URL(p.Upstream.Redacted()) // screenshots are shared too
	info := ui.Info{Listen: addr, Upstream: upstream, Recording: o.recordFile, Store: p.Store.Name()}
	return func(ctx context.Context, sub *proxy.Subscription) error {
		return ui.Run(ctx, p, sub, ui.Options{Info: info, MaxRows: o.uiRows})
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// stopDisplayUnlessHeadless ends the TUI at shutdown; a headless printer
// ends by itself once it has drained its subscription.
func stopDisplayUnlessHeadless(o *options, stop context.CancelFunc) {
	if o.tui {
		stop()
	}
}
