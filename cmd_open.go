package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/x/term"

	"mcpscope/record"
	"mcpscope/ui"
)

const openUsage = `mcpscope open — browse a recording in the UI

Usage:
  mcpscope open FILE

FILE is a recording (--record) or --headless output. The panes, the filter
and the keys are the live UI's; nothing can be paused.

Example:
  mcpscope open session.jsonl
`

func runOpen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(stderr, openUsage)
		if len(args) == 1 {
			return 0
		}
		return 2
	}
	var obs []*record.Observation
	if err := record.ReadFile(args[0], func(o *record.Observation) error { obs = append(obs, o); return nil }); err != nil {
		fmt.Fprintf(stderr, "mcpscope open: %v\n", err)
		return 1
	}
	if !isTerminal(stdout) || !term.IsTerminal(os.Stdin.Fd()) {
		fmt.Fprintln(stderr, "mcpscope open: needs a terminal (to read a recording in a script, use mcpscope export)")
		return 1
	}
	info := ui.Info{ReadOnly: true, Source: args[0]}
	opts := ui.Options{Info: info, MaxRows: max(10_000, len(obs))}
	if err := ui.RunRecording(ctx, ui.NewRecordingEngine(obs), obs, opts); err != nil {
		fmt.Fprintf(stderr, "mcpscope open: %v\n", err)
		return 1
	}
	return 0
}
