package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/mcpscope/mcpscope/checks"
	"github.com/mcpscope/mcpscope/hub"
	"github.com/mcpscope/mcpscope/otlp"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
	"github.com/mcpscope/mcpscope/rules"
	"github.com/mcpscope/mcpscope/stdio"
)

const wrapUsage = `mcpscope wrap — launch a stdio MCP server for a client, and show its traffic

A client that launches a stdio server launches mcpscope wrap instead, with
the server's command after --. wrap starts the server, relays the client's
stdin to it and its stdout to the client line by line, byte for byte, and
passes its stderr through. Each line is reported to a running mcpscope (the
hub: any mcpscope with the UI or --headless), where the session shows beside
HTTP sessions, and where pause, step, breakpoints and rules apply to it: a
pause stops wrap reading the server's stdout, so the server's writes block.
With no hub running, wrap is a transparent relay (--record, --rules and --otlp
then apply in wrap itself). wrap exits with the server's status.

Usage:
  mcpscope wrap [--hub PATH] [--record FILE] [--rules FILE] [--otlp URL] -- CMD [ARGS...]

Examples:
  # in the client's configuration, instead of "command": "node", "args": ["server.js"]:
  "command": "mcpscope", "args": ["wrap", "--", "node", "server.js"]

  # a terminal with the UI (the hub), then the client launches the wrap above
  mcpscope -u http://127.0.0.1:3001/mcp

  # no hub: record the session on its own, then export it
  mcpscope wrap --record /tmp/server.jsonl -- uvx some-server
  mcpscope export /tmp/server.jsonl --format markdown

  # no hub: one span per MCP operation to an OpenTelemetry collector
  mcpscope wrap --otlp http://127.0.0.1:4318 -- uvx some-server

Flags:
`

// runWrap is `mcpscope wrap`: stdin is the client's (the real os.Stdin).
func runWrap(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var hubPath, recordFile, rulesFile, otlpURL string
	fs := pflag.NewFlagSet("mcpscope wrap", pflag.ContinueOnError)
	fs.SetInterspersed(false) // CMD's own flags are CMD's
	fs.StringVar(&hubPath, "hub", hub.DefaultPath(), "the hub's socket, where a running mcpscope listens; off: none")
	fs.StringVar(&recordFile, "record", "", "with no hub: record the session to this file (JSON Lines; open, export or replay it)")
	fs.StringVar(&rulesFile, "rules", "", "with no hub: apply these interceptor rules (YAML) in wrap; reloaded when the file changes")
	fs.StringVar(&otlpURL, "otlp", "", "with no hub: send one span per MCP operation to this OpenTelemetry collector (OTLP/HTTP), e.g. http://127.0.0.1:4318")
	fs.Usage = func() { fmt.Fprint(fs.Output(), wrapUsage+fs.FlagUsages()) }
	if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return status
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "mcpscope wrap: no command: mcpscope wrap [flags] -- CMD [ARGS...]")
		return 2
	}
	argv := fs.Args()
	name := record.NewRedactor(nil).CommandLine(argv) // the session's name: credentials on it never reach the hub or a recording
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	w := &stdio.Wrap{Command: argv, Stdin: stdin, Stdout: stdout, Stderr: stderr, Signals: signals}

	if hubPath != "off" {
		c, err := hub.Dial(hubPath, name, hub.DefaultWindow)
		switch {
		case err == nil:
			w.Judge = c
			if recordFile != "" || rulesFile != "" || otlpURL != "" {
				fmt.Fprintf(stderr, "mcpscope wrap: the hub on %s sees this session: its rules, recording and --otlp apply, not wrap's --record/--rules/--otlp\n", hubPath)
			}
			return w.Run(ctx)
		case !errors.Is(err, hub.ErrNoHub):
			fmt.Fprintf(stderr, "mcpscope wrap: %v; running without the hub\n", err)
		}
	}
	if recordFile == "" && rulesFile == "" && otlpURL == "" {
		return w.Run(ctx)
	}
	return runWrapLocal(ctx, w, name, &options{recordFile: recordFile, rulesFile: rulesFile, otlp: otlpURL, otlpProtocol: otlp.Protobuf}, stderr)
}

// runWrapLocal runs w with an engine of its own: o.recordFile records it,
// o.rulesFile judges it, o.otlp exports its spans.
func runWrapLocal(ctx context.Context, w *stdio.Wrap, name string, o *options, stderr io.Writer) int {
	p := proxy.New(&url.URL{Scheme: "stdio", Opaque: name}) // the recording says "stdio:node server.js"
	if o.rulesFile != "" {
		o.rulesWatcher = rules.NewWatcher(o.rulesFile)
		set, err := rules.Load(o.rulesFile)
		if err != nil {
			fmt.Fprintf(stderr, "mcpscope wrap: %v\n", err)
			return 2
		}
		p.SetRules(set)
	}
	stopRecording := func(time.Time) error { return nil }
	if o.recordFile != "" {
		stop, err := startRecording(o, p, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "mcpscope wrap: %v\n", err)
			return 2
		}
		stopRecording = stop
	}
	stopOTLP := func() {}
	if o.otlp != "" {
		stop, err := startOTLP(o, p, stderr)
		if err != nil {
			stopRecording(time.Now())
			fmt.Fprintf(stderr, "mcpscope wrap: %v\n", err)
			return 2
		}
		stopOTLP = stop
	}
	stopChecks := checks.Start(p.Bus, checks.Options{}) // the recording gets the findings
	watchCtx, stopWatching := context.WithCancel(context.Background())
	var watching sync.WaitGroup
	watching.Go(func() { o.watchRules(watchCtx, p) })
	w.Judge = stdio.NewLocal(p, name, 0)
	status := w.Run(ctx)
	stopWatching()
	watching.Wait()
	stopChecks()
	stopRecording(time.Now().Add(shutdownGrace))
	stopOTLP()
	p.Bus.Close()
	return status
}
