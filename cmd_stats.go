package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/mcpscope/mcpscope/record"
	"github.com/mcpscope/mcpscope/stats"
)

const statsUsage = `mcpscope stats — latency, errors, pending calls and context cost of a recording

Usage:
  mcpscope stats FILE [--format text|json] [--hung-after D]

FILE is a recording (--record) or the output of --headless. Per method and
per tool (tools/call by params.name): calls, errors (JSON-RPC errors, failed
HTTP exchanges, tool results with isError), calls pending, p50/p95/p99
latency (never below the exact figure, at most 1% above it) and bytes of
requests and answers. Then the calls never answered, oldest first, with
how long they had waited when the recording ended: HUNG when neither the
request nor a progress notification of it came in the last --hung-after.
Then the context cost: bytes of each tool's definition in tools/list
(description, schemas) and of its results, with tokens estimated as
bytes/4 (no tokenizer is run: an estimate for sizing, not a bill).

JSON keys name rows as the method ("tools/call") or "tools/call:TOOL";
durations are in nanoseconds (fields ending in _ns).

Examples:
  mcpscope -u http://127.0.0.1:3001/mcp --record traffic.jsonl
  mcpscope stats traffic.jsonl
  mcpscope stats traffic.jsonl --hung-after 30s
  mcpscope stats traffic.jsonl --format json | jq '.rows[] | select(.key=="tools/call") | .p95_ns'

Flags:
`

func runStats(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("mcpscope stats", pflag.ContinueOnError)
	format := fs.StringP("format", "f", "text", "text or json")
	hungAfter := fs.Duration("hung-after", 10*time.Second, "a pending call with no progress for this long when the recording ends is hung")
	fs.Usage = func() { fmt.Fprint(fs.Output(), statsUsage+fs.FlagUsages()) }
	if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return status
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "mcpscope stats: want one recording FILE, got %d arguments\nRun 'mcpscope stats --help' for usage.\n", fs.NArg())
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "mcpscope stats: unknown format %q: want text or json\n", *format)
		return 2
	}
	if *hungAfter <= 0 {
		fmt.Fprintf(stderr, "mcpscope stats: --hung-after must be positive, got %v\n", *hungAfter)
		return 2
	}
	t := stats.New(stats.Options{HungAfter: *hungAfter})
	if err := record.ReadFile(fs.Arg(0), func(o *record.Observation) error {
		t.Observe(o)
		return nil
	}); err != nil {
		fmt.Fprintf(stderr, "mcpscope stats: %v\n", err)
		return 1
	}
	snap := t.Snapshot(t.Last()) // pending ages: until the recording ends
	bw := bufio.NewWriter(stdout)
	var err error
	if *format == "json" {
		enc := json.NewEncoder(bw)
		enc.SetIndent("", "  ")
		err = enc.Encode(snap)
	} else {
		err = stats.WriteText(bw, snap)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope stats: writing the figures: %v\n", err)
		return 1
	}
	return 0
}
