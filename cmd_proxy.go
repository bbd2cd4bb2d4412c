package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/mcpscope/mcpscope/checks"
	"github.com/mcpscope/mcpscope/control"
	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

const proxyUsage = `mcpscope — an interactive debugging proxy for MCP

Point your MCP client at mcpscope instead of the server; mcpscope forwards
everything to the server and shows every message and SSE event.

Usage:
  mcpscope -u UPSTREAM_URL [flags]
  mcpscope [flags] -- CMD [ARGS...]   serve a stdio server over HTTP (one process per session)
  mcpscope wrap [flags] -- CMD [ARGS...]
                               what a client launches instead of its stdio server;
                               its traffic shows in a running mcpscope (the hub)
  mcpscope hub [flags]         the UI for wrapped stdio servers only (no -u)
  mcpscope demo [flags]        run against an embedded MCP server and client
  mcpscope rules check FILE    validate interceptor rules
  mcpscope rules test FILE RECORDING
  mcpscope export RECORDING --format har|markdown|jsonl|otlp [-o OUT]
  mcpscope check RECORDING     check a recording against the MCP spec, for CI (exit 1 on a problem)
  mcpscope stats RECORDING     latency per method and tool, pending calls, context cost
  mcpscope diff A B            compare two recordings: listings, drift, answers, latency
  mcpscope replay FILE         serve a recording as an MCP server (--stdio: on stdin/stdout)
  mcpscope open FILE           browse a recording in the UI
  mcpscope version

Examples:
  # proxy a local server; clients connect to http://127.0.0.1:7331/mcp
  mcpscope -u http://127.0.0.1:3001/mcp

  # a stdio server behind Streamable HTTP: clients connect to http://127.0.0.1:7331/mcp,
  # each session starts its own "node server.js"
  mcpscope -- node server.js

  # a client that launches its server launches mcpscope wrap instead; the session
  # shows in the mcpscope running in another terminal (the hub), or is recorded alone
  mcpscope wrap -- node server.js
  mcpscope wrap --record s.jsonl -- node server.js

  # JSON Lines on stdout instead of the UI (for scripts and CI)
  mcpscope -u http://127.0.0.1:3001/mcp --headless | jq 'select(.method=="tools/call")'

  # an https server whose certificate a private CA signed (added to the system's roots);
  # one that also wants a client certificate (mutual TLS). HTTP/2 where the server offers it
  mcpscope -u https://mcp.internal:8443/mcp --ca-cert ca.pem
  mcpscope -u https://mcp.internal:8443/mcp --ca-cert ca.pem --client-cert me.pem --client-key me-key.pem

  # to test only: don't verify the server's certificate (mcpscope warns, the UI says so)
  mcpscope -u https://127.0.0.1:8443/mcp --insecure

  # a legacy HTTP+SSE server (2024-11-05); clients connect to /sse
  mcpscope -u http://127.0.0.1:3001/sse -l 127.0.0.1:9000

  # record a session, then replay it as a mock server
  mcpscope -u http://127.0.0.1:3001/mcp --record session.jsonl
  mcpscope replay session.jsonl --speed 0

  # interceptor rules (delay, block, modify, breakpoints...), reloaded on change
  mcpscope -u http://127.0.0.1:3001/mcp --rules examples/rules.yaml

  # two instances sharing sessions and replay logs in Redis, with a fallback server
  mcpscope -u http://10.0.0.5:3001/mcp -u http://10.0.0.6:3001/mcp --store redis://127.0.0.1:6379/0

  # the same on a Redis Cluster, on the master Sentinels name "mymaster", on TLS with a private CA
  mcpscope -u http://10.0.0.5:3001/mcp --store redis+cluster://10.0.1.1:7000,10.0.1.2:7000,10.0.1.3:7000
  mcpscope -u http://10.0.0.5:3001/mcp --store 'redis+sentinel://:PASSWORD@10.0.2.1:26379,10.0.2.2:26379/mymaster/0'
  mcpscope -u http://10.0.0.5:3001/mcp --store rediss://cache.internal:6380/0 --store-ca-cert ca.pem

  # an OAuth-protected server: the client discovers and authorizes through mcpscope
  # (resource_metadata and the metadata's resource name mcpscope); with
  # --oauth-resource upstream both are left as the server sent them
  mcpscope -u https://mcp.example.com/mcp --oauth-resource upstream

  # with a shared store, each instance's control API reaches the others' streams:
  # list every instance's, pause instance a's stream st-3 (through instance b)
  mcpscope -u http://10.0.0.5:3001/mcp --store redis://127.0.0.1:6379/0 --instance b --control 127.0.0.1:7333 --control-token T
  curl -H 'Authorization: Bearer T' 'http://127.0.0.1:7333/api/streams?all=1'
  curl -X POST -H 'Authorization: Bearer T' http://127.0.0.1:7333/api/streams/st-3@a/pause

  # one span per MCP operation to an OpenTelemetry collector (OTLP/HTTP)
  mcpscope -u http://127.0.0.1:3001/mcp --otlp http://127.0.0.1:4318
  # ... as JSON, and the server's spans join the trace: each request sent
  # upstream carries mcpscope's traceparent in params._meta (bytes change)
  mcpscope -u http://127.0.0.1:3001/mcp --otlp http://127.0.0.1:4318 --otlp-protocol http/json --otlp-propagate

  # a control API for scripts: pause everything, then resume
  mcpscope -u http://127.0.0.1:3001/mcp --headless --control 127.0.0.1:7332 --control-token T
  curl -X POST -H 'Authorization: Bearer T' http://127.0.0.1:7332/api/pause

Flags:
`

func runProxy(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := pflag.NewFlagSet("mcpscope", pflag.ContinueOnError)
	o.register(fs, true)
	fs.Usage = func() { fmt.Fprint(fs.Output(), proxyUsage+fs.FlagUsages()) }
	if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return status
	}
	if fs.ArgsLenAtDash() >= 0 {
		return runBridge(ctx, &o, fs, stdout, stderr)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mcpscope: unknown command %q\nRun 'mcpscope --help' for usage.\n", fs.Arg(0))
		return 2
	}
	upstreams, err := parseUpstreams(o.upstream)
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope: %s\n", o.redactor().Text(err.Error()))
		return 2
	}
	logger, closeLog, err := o.openLogger()
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope: %v\n", err)
		return 1
	}
	defer closeLog()
	p, err := o.newProxy(upstreams, logger)
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope: %v\n", err)
		return 2
	}
	defer p.Store.Close()
	return exitStatus(stderr, "mcpscope", o.redactor().Text, serve(ctx, &o, p, stdout, stderr, nil))
}

// serve listens, prints where, forwards until ctx ends (or the user quits
// the UI) and shows the observations: the TUI, or JSON Lines on stdout.
// ready, if not nil, is called with the bound address once the proxy
// accepts connections. It returns errOutputLost if the shutdown gave up
// on an output (awaitPrinter, startRecording) and nothing else failed.
func serve(ctx context.Context, o *options, p *proxy.Proxy, stdout, stderr io.Writer, ready func(addr string)) (err error) {
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.listen, err)
	}
	addr := ln.Addr().String()
	if pinger, ok := p.Store.(interface{ Ping(context.Context) error }); ok {
		pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := pinger.Ping(pingCtx)
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "mcpscope: warning: %v: sessions can be neither created nor found until it answers\n", err)
		}
	}
	if host, _, _ := net.SplitHostPort(addr); !net.ParseIP(host).IsLoopback() {
		where := host
		if net.ParseIP(host).IsUnspecified() {
			where = "every interface"
		}
		fmt.Fprintf(stderr, "mcpscope: warning: listening on %s, not only loopback: other machines can reach the proxy (requests are served only with an allowed Host and Origin)\n", where)
	}
	if o.peers, err = startPeers(o, p, stderr); err != nil {
		ln.Close()
		return err
	}
	defer o.peers.Close()
	display := o.display(p, stdout, stderr, addr)
	sub := subscribeDisplay(p.Bus)
	defer sub.Close()
	stopRecording := func(time.Time) error { return nil }
	if o.recordFile != "" { // before the first request can arrive: the recording misses nothing
		stop, err := startRecording(o, p, stderr)
		if err != nil {
			ln.Close()
			return err
		}
		stopRecording = stop
		defer func() { // on the early returns; the shutdown below stops it first
			if rerr := stopRecording(time.Now().Add(shutdownGrace)); err == nil {
				err = rerr
			}
		}()
	}
	if !o.noChecks { // before the first request too; on the hub's engine, wrapped and bridged sessions are checked as well
		stopChecks := checks.Start(p.Bus, checks.Options{HungAfter: o.hungAfter})
		defer stopChecks()
	}
	if o.otlp != "" || o.otlpPropagate { // before the first request too; stopped last, once the proxy has published everything
		stopOTLP, err := startOTLP(o, p, stderr)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopOTLP()
	}
	stopHub, hubbing := startHub(o, p, stderr)
	o.stopHub = sync.OnceFunc(stopHub)
	defer o.stopHub() // on the early returns; stopServing stops it first
	if o.hubOnly && !hubbing {
		ln.Close()
		return fmt.Errorf("no hub on %s: a hub that cannot listen has nothing to show", o.hub)
	}
	srv := p.NewServer()
	switch {
	case o.bridge != nil:
		srv.Handler = o.bridge
	case o.hubOnly:
		srv.Handler = http.HandlerFunc(noUpstream)
	}
	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(ln) }()
	redactor := o.redactor()
	upstream, _ := redactor.URL(p.Upstream.Redacted())
	client, _ := redactor.URL(clientURL(addr, p.Upstream))
	checkUpstreamTLS(ctx, o, p, stderr)
	if o.hubOnly {
		fmt.Fprintf(stderr, "mcpscope %s: hub only, no HTTP upstream: stdio servers a client launches as 'mcpscope wrap -- CMD' show here\n", version)
	} else {
		fmt.Fprintf(stderr, "mcpscope %s: listening on http://%s → %s (clients use %s)\n", version, addr, upstream, client)
	}
	if set := p.Rules(); set != nil && o.rulesFile != "" {
		fmt.Fprintf(stderr, "mcpscope: %s from %s (reloaded when it changes)\n", plural.Count(len(set.Rules), "rule"), o.rulesFile)
	}
	if o.control != "" {
		api, err := startControl(o, p, stderr, serveErr)
		if err != nil {
			srv.Close()
			return err
		}
		defer api.Close()
	}
	if ready != nil {
		ready(addr)
	}
	watchCtx, stopWatching := context.WithCancel(ctx)
	var watching sync.WaitGroup
	watching.Go(func() { o.watchRules(watchCtx, p) })
	defer func() { stopWatching(); watching.Wait() }()

	displayCtx, stopDisplay := context.WithCancel(context.Background())
	defer stopDisplay()
	displayed := make(chan error, 1)
	go func() { displayed <- display(displayCtx, sub) }()

	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("serving: %w", err)
	case err = <-displayed: // the user quit the UI, or output failed
		stopServing(o, srv, p)
		return err
	}
	stopServing(o, srv, p)
	// The printer and the recorder drain their queues at once, and both
	// within one grace: a stalled output is given up at this deadline.
	outputs := time.Now().Add(shutdownGrace)
	sub.Close() // a printer drains what is queued, then returns
	stopDisplayUnlessHeadless(o, stopDisplay)
	var derr error
	if o.tui { // stopped above: it ends promptly
		derr = <-displayed
	} else {
		derr = awaitPrinter(displayed, sub, stderr, outputs)
	}
	rerr := stopRecording(outputs)
	for _, e := range []error{derr, rerr} { // the first error says most; output lost, only if nothing else failed
		if e != nil && (err == nil || errors.Is(err, errOutputLost)) {
			err = e
		}
	}
	return err
}

// awaitPrinter waits for the headless printer to drain its queue until
// deadline: output nobody reads (a stalled pipe) must not hold the exit.
// Giving up, it says on stderr (bounded: sayBounded) what was not printed
// and returns errOutputLost.
func awaitPrinter(displayed <-chan error, sub *proxy.Subscription, stderr io.Writer, deadline time.Time) error {
	if err, came := waitUntil(displayed, deadline); came {
		return err
	}
	sayBounded(stderr, "mcpscope: output: gave up on stdout at the end of the shutdown (it stopped taking what was written): at least "+
		plural.Count(sub.Queued(), "observation")+" not printed\n")
	return errOutputLost
}

// startControl serves the control API on o.control; a failure to serve
// later is sent on failed.
func startControl(o *options, p *proxy.Proxy, stderr io.Writer, failed chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", o.control)
	if err != nil {
		return nil, fmt.Errorf("control API: listening on %s: %w", o.control, err)
	}
	token := o.controlToken
	if token == "" {
		token = control.NewToken()
	}
	redactor := o.redactor()
	if redactor == nil {
		redactor = &record.Redactor{} // --no-redact: not Active, so /api/events redacts nothing, as --headless does
	}
	api := &http.Server{
		Handler:           &control.Server{Proxy: p, Token: token, AllowedHosts: o.allowHosts, AllowedOrigins: o.allowOrigins, Redactor: redactor, Peers: o.peers},
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		if err := api.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			failed <- fmt.Errorf("control API: %w", err)
		}
	}()
	fmt.Fprintf(stderr, "mcpscope: control API on http://%s (Authorization: Bearer %s)\n", ln.Addr(), token)
	return api, nil
}

// stopProxy stops the proxy's server (stopServer), then waits for its
// handlers to end and publishes what they saw last, so the printer and the
// recorder, which drain their queues before they stop, have everything.
func stopProxy(srv *http.Server, p *proxy.Proxy) {
	stopServer(srv, p.Settled)
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	p.Drain(ctx)
}

// stopServer shuts a server down: it stops accepting, lets the requests in
// flight finish (for up to shutdownGrace) but not the SSE streams, which
// may never finish on their own and would hold every quit for the whole
// grace (settled reports when only those are left), and then closes every
// connection.
func stopServer(srv *http.Server, settled func() bool) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-shut:
			if err != nil { // the grace ran out, or only streams were left
				srv.Close()
			}
			return
		case <-tick.C:
			if settled() {
				cancel()
			}
		}
	}
}

// shutdownGrace bounds how long a shutdown waits for the requests in
// flight, then for their handlers to end, then for the outputs (the
// headless printer and the recorder, at once) to write what is queued:
// three graces in all, plus messageWait for each message on stderr.
var shutdownGrace = 2 * time.Second

// clientURL is the URL a client should use: the proxy's address with the
// upstream's path and query.
func clientURL(addr string, upstream *url.URL) string {
	u := url.URL{Scheme: "http", Host: reachable(addr), Path: upstream.Path, RawQuery: upstream.RawQuery}
	return u.String()
}

// reachable returns addr, a bound listener's address, as a client on this
// machine reaches it: an unspecified host (0.0.0.0, ::) becomes 127.0.0.1.
func reachable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || !net.ParseIP(host).IsUnspecified() {
		return addr
	}
	return net.JoinHostPort("127.0.0.1", port)
}
