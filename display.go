package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/x/term"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
	"github.com/mcpscope/mcpscope/ui"
)

// displayBuffer and displayBytes bound the observations queued for the
// display (the TUI or the headless printer), in number and in bytes; it
// drops (and counts) events past them rather than slow the proxy. The
// byte bound lets a burst of about 25 000 small messages wait for a display
// that falls behind (an observation costs some 600 bytes), while a display
// nobody drains (a stalled pipe) costs at most that much. The control
// API's /api/events keeps the bus's default of 4 MiB per client.
const (
	displayBuffer = 1 << 16
	displayBytes  = 16 << 20
)

// subscribeDisplay subscribes the display to the bus. It is not paced
// (proxy.Paced): measured out of process (internal/benchproc, four
// alternating runs), pacing the printer and the recorder changed neither
// throughput nor CPU beyond the runs' scatter, and a borrowing queue that
// waits pins the data path's read buffers longer. How it reads is the
// display's choice: the printer borrows each batch (it writes it out
// before the next), the TUI keeps what it gets.
func subscribeDisplay(b *proxy.Bus) *proxy.Subscription {
	return b.Subscribe(displayBuffer, proxy.MaxBytes(displayBytes), proxy.MaxPinned(displayBytes))
}

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
	info := ui.Info{Listen: addr, Upstream: upstream, Recording: o.recordFile, Store: p.Store.Name(), Insecure: o.upstreamTLS.Insecure, Instance: o.peers.ID()}
	return func(ctx context.Context, sub *proxy.Subscription) error {
		return ui.Run(ctx, o.engine(p), sub, ui.Options{Info: info, MaxRows: o.uiRows, HungAfter: o.hungAfter,
			Progress: o.progress, Theme: o.theme, NoMouse: o.noMouse, ExportDir: o.exportDir})
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
