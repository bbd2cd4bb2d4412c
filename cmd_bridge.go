package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/spf13/pflag"

	"github.com/mcpscope/mcpscope/bridge"
	"github.com/mcpscope/mcpscope/proxy"
)

// runBridge serves Streamable HTTP in front of a stdio server: mcpscope
// [flags] -- CMD [ARGS...]. Everything the proxy command has (the UI,
// --headless, --record, --rules, --control) works on the same engine;
// each session is a child process of CMD, stopped at DELETE, after
// --session-ttl idle, and at shutdown.
func runBridge(ctx context.Context, o *options, fs *pflag.FlagSet, stdout, stderr io.Writer) int {
	dash := fs.ArgsLenAtDash()
	command := fs.Args()[dash:]
	switch {
	case dash > 0:
		fmt.Fprintf(stderr, "mcpscope: unknown command %q\nRun 'mcpscope --help' for usage.\n", fs.Arg(0))
		return 2
	case len(o.upstream) > 0:
		fmt.Fprintln(stderr, "mcpscope: give either -u URL (proxy an HTTP server) or -- CMD (bridge a stdio server), not both\nRun 'mcpscope --help' for usage.")
		return 2
	case len(command) == 0:
		fmt.Fprintln(stderr, "mcpscope: no command after --: give the stdio server's, e.g. mcpscope -- node server.js\nRun 'mcpscope --help' for usage.")
		return 2
	}
	logger, closeLog, err := o.openLogger()
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope: %v\n", err)
		return 1
	}
	defer closeLog()
	// The "upstream" shown (banner, UI, recording header) is the command;
	// its Path is the endpoint the bridge serves, so the banner's client
	// URL names it.
	name := o.redactor().CommandLine(command) // credentials on it never reach the screen or a recording
	upstream := &url.URL{Scheme: "stdio", Opaque: name, Path: bridge.DefaultPath}
	p, err := o.newProxy([]*url.URL{upstream}, logger)
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope: %v\n", err)
		return 2
	}
	defer p.Store.Close()
	o.bridge = &bridge.Bridge{Proxy: p, Command: command, Name: name, Stderr: childStderr{o, stderr}, IdleTTL: o.sessionTTL}
	p.StdioResend = o.bridge // r in the UI, POST /api/resend: a re-send goes to the session's child through the bridge
	return exitStatus(stderr, "mcpscope", o.redactor().Text, serve(ctx, o, p, stdout, stderr, nil))
}

// childStderr passes the children's stderr to mcpscope's, unless the TUI
// owns the terminal (the last line of it still explains an exit, in the
// UI and in the error a pending request gets).
type childStderr struct {
	o      *options
	stderr io.Writer
}

func (w childStderr) Write(b []byte) (int, error) {
	if w.o.tui {
		return len(b), nil
	}
	return w.stderr.Write(b)
}

// stopServing stops serving clients at shutdown. First it decides every
// message held at a breakpoint (proxy.StopHolding: a held request gets an
// error answer while its client is still connected), then it stops the
// bridge's children (stopped, reaped, their sessions ended, so the pending
// requests get an error and the outputs see the ends), then the hub (its
// wrapped sessions end: each wrap relays on unobserved), then as the proxy
// stops (stopProxy).
func stopServing(o *options, srv *http.Server, p *proxy.Proxy) {
	p.StopHolding("shutdown")
	if o.bridge != nil {
		o.bridge.Close()
	}
	if o.stopHub != nil { // wrapped sessions end while the outputs still take their observations
		o.stopHub()
	}
	stopProxy(srv, p)
}
