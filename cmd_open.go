package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/pflag"

	"github.com/mcpscope/mcpscope/record"
	"github.com/mcpscope/mcpscope/ui"
)

const openUsage = `mcpscope open — browse a recording in the UI

Usage:
  mcpscope open FILE [flags]

FILE is a recording (--record) or --headless output. The panes, the filter
and the keys are the live UI's; nothing can be paused.

Example:
  mcpscope open session.jsonl

Flags:
`

func runOpen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var theme ui.Theme
	var noMouse bool
	fs := pflag.NewFlagSet("mcpscope open", pflag.ContinueOnError)
	registerTerminal(fs, &theme, &noMouse)
	fs.Usage = func() { fmt.Fprint(fs.Output(), openUsage+fs.FlagUsages()) }
	if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return status
	}
	if args = fs.Args(); len(args) != 1 {
		fmt.Fprintf(stderr, "mcpscope open: want one recording FILE, got %d arguments\nRun 'mcpscope open --help' for usage.\n", fs.NArg())
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
	opts := ui.Options{Info: info, MaxRows: max(10_000, len(obs)), Theme: theme, NoMouse: noMouse}
	if err := ui.RunRecording(ctx, ui.NewRecordingEngine(obs), obs, opts); err != nil {
		fmt.Fprintf(stderr, "mcpscope open: %v\n", err)
		return 1
	}
	return 0
}
