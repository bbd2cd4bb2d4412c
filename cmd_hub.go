package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/spf13/pflag"
)

const hubUsage = `mcpscope hub: the UI for stdio servers only, with no HTTP server to proxy

Clients that launch their stdio server launch 'mcpscope wrap -- CMD' instead;
each such session shows here, beside nothing else: pause, step, breakpoints,
rules, recording and the control API apply to it. (Any mcpscope with the UI
or --headless is a hub too: this is the one to run when there is no -u.)

Usage:
  mcpscope hub [flags]

Examples:
  # terminal 1: the UI; then the client launches: mcpscope wrap -- node server.js
  mcpscope hub

  # record every wrapped session, print them as JSON Lines
  mcpscope hub --headless --record stdio.jsonl

  # hold every tools/call of every wrapped server at a breakpoint
  mcpscope hub --rules examples/rules.yaml

Flags:
`

// runHub is mcpscope hub: serve (the UI or --headless, --record, --rules,
// --control) with the hub as the only source. There is no upstream: the
// HTTP side listens on an ephemeral loopback port (unless -l says
// otherwise) and answers every request 404 with why. A hub socket that
// cannot be taken is fatal here, unlike in the proxy.
func runHub(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := pflag.NewFlagSet("mcpscope hub", pflag.ContinueOnError)
	o.register(fs, false)
	fs.Usage = func() { fmt.Fprint(fs.Output(), hubUsage+fs.FlagUsages()) }
	if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return status
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mcpscope hub: unexpected argument %q (the servers are launched by 'mcpscope wrap -- CMD')\nRun 'mcpscope hub --help' for usage.\n", fs.Arg(0))
		return 2
	}
	if o.hub == "off" || o.hub == "" {
		fmt.Fprintln(stderr, "mcpscope hub: --hub off leaves the hub nothing to show")
		return 2
	}
	if !fs.Changed("listen") {
		o.listen = "127.0.0.1:0"
	}
	o.hubOnly = true
	logger, closeLog, err := o.openLogger()
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope: %v\n", err)
		return 1
	}
	defer closeLog()
	p, err := o.newProxy([]*url.URL{{Scheme: "stdio", Opaque: "mcpscope wrap sessions"}}, logger)
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope: %v\n", err)
		return 2
	}
	defer p.Store.Close()
	return exitStatus(stderr, "mcpscope", o.redactor().Text, serve(ctx, &o, p, stdout, stderr, nil))
}

// noUpstream answers an HTTP request to mcpscope hub: it proxies nothing.
func noUpstream(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "mcpscope hub proxies no HTTP server: it shows stdio servers launched as 'mcpscope wrap -- CMD' (to proxy one, run mcpscope -u URL)", http.StatusNotFound)
}
