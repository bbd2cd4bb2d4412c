package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/mcpscope/mcpscope/examples"
	"github.com/mcpscope/mcpscope/internal/demo"
	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/rules"
)

const demoUsage = `mcpscope demo — see mcpscope at work without an MCP server of your own

Starts an embedded MCP server (tools that stream progress, log, sample and
notify), puts mcpscope in front of it with the example rules
(examples/rules.yaml: a delay, a block and a modify), and runs a scripted
client that calls it through mcpscope every few seconds.

Usage:
  mcpscope demo [flags]

Examples:
  mcpscope demo
  mcpscope demo --headless | head -20
  mcpscope demo --server sse          # the legacy HTTP+SSE transport

Flags:
`

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	var kindName string
	var every time.Duration
	fs := pflag.NewFlagSet("mcpscope demo", pflag.ContinueOnError)
	o.register(fs, false)
	fs.StringVar(&kindName, "server", string(mcpserver.Stateful), "demo server transport: stateful, stateful-json, stateless (2026-07-28) or sse (legacy)")
	fs.DurationVar(&every, "every", 3*time.Second, "pause between the scripted client's rounds of calls")
	fs.Usage = func() { fmt.Fprint(fs.Output(), demoUsage+fs.FlagUsages()) }
	if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return status
	}
	kind, err := mcpserver.ParseKind(kindName)
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope demo: %v\n", err)
		return 2
	}
	logger, closeLog, err := o.openLogger()
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope demo: %v\n", err)
		return 1
	}
	defer closeLog()

	server, err := demo.Listen(kind, logger) // its URL now; it serves once the UI is up (see ready)
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope demo: %v\n", err)
		return 1
	}
	defer server.Close()
	upstream, err := parseUpstream(server.URL)
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope demo: %v\n", err)
		return 1
	}
	p, err := o.newProxy([]*url.URL{upstream}, logger)
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope: %v\n", err)
		return 2
	}
	defer p.Store.Close()
	if o.rulesFile == "" { // the example rules, unless the user brought their own
		set, err := rules.Parse(examples.Rules, "examples/rules.yaml")
		if err != nil {
			fmt.Fprintf(stderr, "mcpscope demo: %v\n", err)
			return 1
		}
		p.SetRules(set)
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	clientCtx, stopClient := context.WithCancel(ctx)
	defer stopClient()
	progress := make(chan string) // the TUI shows it until traffic flows
	o.progress = progress
	ready := func(addr string) {
		say := func(s string) { // once the UI has it: the server starts after the UI is up
			if o.tui {
				select {
				case progress <- s:
				case <-clientCtx.Done():
				}
			}
		}
		fmt.Fprintf(stderr, "mcpscope demo: embedded %s server at %s; scripted client calling through mcpscope every %v (Ctrl-C to stop)\n", kind, server.URL, every)
		client := &demo.Client{Endpoint: clientURL(addr, upstream), Kind: kind, Every: every, Logger: logger}
		wg.Add(1)
		go func() {
			defer wg.Done()
			say("starting the demo server…")
			server.Start()
			say("demo client connecting through mcpscope…")
			if err := client.Run(clientCtx); err != nil {
				if o.tui { // the terminal belongs to the UI
					logger.Error("demo client stopped", "err", err)
					say("demo client stopped: " + err.Error())
					return
				}
				fmt.Fprintf(stderr, "mcpscope demo: %v\n", err)
			}
		}()
	}
	return exitStatus(stderr, "mcpscope demo", o.redactor().Text, serve(ctx, &o, p, stdout, stderr, ready))
}
