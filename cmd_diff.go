package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/spf13/pflag"

	"github.com/mcpscope/mcpscope/recdiff"
)

const diffUsage = `mcpscope diff — compare two recordings

Usage:
  mcpscope diff A B [--format text|json] [--ignore PATH]... [-q]

A and B are recordings (--record) or --headless output. Compared:
  listings   tools, prompts, resources and resource templates: the first
             complete listing of each (all its pages) in A against B's;
             items added, removed, changed (description, schemas,
             annotations...), with the paths that differ
  drift      a listing that changed within one session (say, after
             notifications/tools/list_changed), in A and in B; drift both
             recordings share is no difference between them
  answers    calls are matched by method and params, in order of
             occurrence (the 2nd echo {"text":"hi"} in A meets the 2nd in
             B); their results or errors are compared
  latency    per method and per tool: calls, p50 and p95 in A and B, and
             B's minus A's (shown, never a difference)
Ignored: JSON-RPC ids, key order, how numbers are spelled, "_meta" members
at every depth (progress tokens too), and in answers members named
timestamp, time, date, datetime, createdAt, updatedAt, lastUpdatedAt or
lastModified (any case) holding a string or number. --ignore drops more:
a path into the message, gjson-style (dots, "#" for every array element,
* and ? wildcards, \. for a dot in a name).

Exit status, as diff(1): 0 when A and B are the same, 1 when they differ,
2 on trouble (a bad flag, a file that cannot be read). Colours only on a
terminal, and not with NO_COLOR set.

Examples:
  mcpscope -u http://127.0.0.1:3001/mcp --record before.jsonl   # one run
  mcpscope -u http://127.0.0.1:3001/mcp --record after.jsonl    # another
  mcpscope diff before.jsonl after.jsonl
  mcpscope diff a.jsonl b.jsonl --ignore result.structuredContent.requestId
  mcpscope diff a.jsonl b.jsonl --ignore 'result.content.#.text' -q && echo same
  mcpscope diff a.jsonl b.jsonl --format json | jq '.calls.differ'

Flags:
`

func runDiff(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("mcpscope diff", pflag.ContinueOnError)
	format := fs.StringP("format", "f", "text", "text or json")
	ignores := fs.StringArray("ignore", nil, "also ignore this `PATH` in messages (repeatable)")
	quiet := fs.BoolP("quiet", "q", false, "print nothing: the exit status says")
	fs.Usage = func() { fmt.Fprint(fs.Output(), diffUsage+fs.FlagUsages()) }
	if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return status
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(stderr, "mcpscope diff: want two recordings A and B, got %d arguments\nRun 'mcpscope diff --help' for usage.\n", fs.NArg())
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "mcpscope diff: unknown format %q (want text or json)\n", *format)
		return 2
	}
	var opts recdiff.Options
	for _, s := range *ignores {
		p, err := recdiff.ParsePath(s)
		if err != nil {
			fmt.Fprintf(stderr, "mcpscope diff: --ignore: %v\n", err)
			return 2
		}
		opts.Ignore = append(opts.Ignore, p)
	}
	// The two recordings are read at once, each on a goroutine that ends
	// with its file: decoding is most of the work.
	var sums [2]*recdiff.Summary
	var errs [2]error
	var wg sync.WaitGroup
	for i, name := range fs.Args() {
		wg.Go(func() { sums[i], errs[i] = recdiff.ReadFile(name, opts) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			fmt.Fprintf(stderr, "mcpscope diff: %v\n", err)
			return 2
		}
	}
	report := recdiff.Compare(sums[0], sums[1])
	status := 0
	if report.Differs() {
		status = 1
	}
	if *quiet {
		return status
	}
	bw := bufio.NewWriter(stdout)
	var err error
	if *format == "json" {
		e := json.NewEncoder(bw)
		e.SetIndent("", "  ")
		err = e.Encode(report)
	} else {
		err = report.WriteText(bw, recdiff.TextOptions{NameA: fs.Arg(0), NameB: fs.Arg(1), Colour: isTerminal(stdout) && os.Getenv("NO_COLOR") == ""})
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope diff: writing the report: %v\n", err)
		return 2
	}
	return status
}
