package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/record"
)

const replayUsage = `mcpscope replay — serve a recording as an MCP server

Answers each request with what was recorded for the same method and
parameters (JSON-RPC ids and _meta ignored), with the live id; SSE answers
are paced as recorded. Initialize mints a fresh session id. A request the
recording cannot answer gets a JSON-RPC error naming the closest recorded
request. Answers are kept per session: a client's session is matched at
its initialize to the first recorded session not yet replayed (one whose
initialize has the same parameters first), and takes answers from that
session only. A recording made over the legacy HTTP+SSE transport is
refused.

With --stdio the recording answers as a stdio MCP server instead: JSON-RPC
messages one per line on stdin and stdout (nothing else on stdout: its
log and errors go to stderr), so a client launches the replay as its
server. It serves recordings of HTTP and of stdio sessions alike; what the
server sent during a request (progress, its own requests) comes before the
answer, paced as recorded; it exits when stdin closes.

Usage:
  mcpscope replay FILE [flags]
  mcpscope replay FILE --stdio [--speed N]

Examples:
  mcpscope -u http://127.0.0.1:3001/mcp --record session.jsonl   # record once
  mcpscope replay session.jsonl                                  # then test your client offline
  mcpscope replay session.jsonl --speed 0 -l 127.0.0.1:9000      # no delays
  mcpscope wrap --record session.jsonl -- node server.js         # record a stdio server
  mcpscope replay session.jsonl --stdio                          # a client launches this instead
  # in a client's config: "command": "mcpscope", "args": ["replay", "session.jsonl", "--stdio"]

Flags:
`

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var listen string
	var speed float64
	var allowHosts, allowOrigins []string
	fs := pflag.NewFlagSet("mcpscope replay", pflag.ContinueOnError)
	fs.StringVarP(&listen, "listen", "l", DefaultListen, "address to serve on (loopback by default)")
	fs.Float64Var(&speed, "speed", 1, "pace: 1 as recorded, 2 twice as fast, 0 without delays")
	fs.StringSliceVar(&allowHosts, "allow-host", nil, "also accept requests with this Host header")
	fs.StringSliceVar(&allowOrigins, "allow-origin", nil, "also accept requests with this Origin")
	stdio := fs.Bool("stdio", false, "answer on stdin/stdout as a stdio MCP server (a client launches it), not over HTTP")
	fs.Usage = func() { fmt.Fprint(fs.Output(), replayUsage+fs.FlagUsages()) }
	if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return status
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "mcpscope replay: want one recording FILE, got %d arguments\nRun 'mcpscope replay --help' for usage.\n", fs.NArg())
		return 2
	}
	if *stdio {
		for _, name := range []string{"listen", "allow-host", "allow-origin"} {
			if fs.Changed(name) {
				fmt.Fprintf(stderr, "mcpscope replay: --%s is for HTTP; --stdio answers on stdin/stdout\n", name)
				return 2
			}
		}
	}
	if speed < 0 {
		fmt.Fprintln(stderr, "mcpscope replay: --speed must be 0 or more")
		return 2
	}
	var obs []*record.Observation
	if err := record.ReadFile(fs.Arg(0), func(o *record.Observation) error { obs = append(obs, o); return nil }); err != nil {
		fmt.Fprintf(stderr, "mcpscope replay: %v\n", err)
		return 1
	}
	rp := record.NewReplayer(obs, speed)
	rp.AllowedHosts, rp.AllowedOrigins = allowHosts, allowOrigins
	switch legacy := rp.Legacy(); {
	case legacy > 0 && rp.Requests() == 0:
		fmt.Fprintf(stderr, "mcpscope replay: %s was recorded over the legacy HTTP+SSE transport (2024-11-05), which replay does not serve: "+
			"its answers came on the /sse stream, not on the requests, so a client would wait for them for ever. Record over Streamable HTTP to replay.\n", fs.Arg(0))
		return 1
	case rp.Requests() == 0:
		fmt.Fprintf(stderr, "mcpscope replay: %s holds no requests to answer\n", fs.Arg(0))
		return 1
	case legacy > 0:
		fmt.Fprintf(stderr, "mcpscope replay: warning: %s of %s, made over the legacy HTTP+SSE transport, cannot be replayed and are left out\n",
			plural.Count(legacy, "request"), fs.Arg(0))
	}
	if *stdio {
		return replayStdio(ctx, rp, fs.Arg(0), speed, stdout, stderr)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope replay: listening on %s: %v\n", listen, err)
		return 1
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "mcpscope replay: %s (%s) at speed %g; listening on http://%s (clients use http://%s/mcp)\n",
		fs.Arg(0), plural.Count(rp.Requests(), "recorded request"), speed, ln.Addr(), reachable(ln.Addr().String()))
	select {
	case <-ctx.Done():
		stopServer(srv, rp.Settled)
		return 0
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return 0
		}
		fmt.Fprintf(stderr, "mcpscope replay: %v\n", err)
		return 1
	}
}

// replayStdio serves rp on the process's stdin and stdout until stdin
// closes (status 0) or ctx ends (0); a failure to read or write is said on
// stderr (status 1). Nothing but the replay's messages goes to stdout.
func replayStdio(ctx context.Context, rp *record.Replayer, file string, speed float64, stdout, stderr io.Writer) int {
	fmt.Fprintf(stderr, "mcpscope replay: %s (%s) at speed %g; answering on stdin/stdout\n", file, plural.Count(rp.Requests(), "recorded request"), speed)
	if err := rp.ServeStdio(ctx, os.Stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "mcpscope replay: %v\n", err)
		return 1
	}
	return 0
}
