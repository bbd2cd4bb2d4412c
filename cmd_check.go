package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mcpscope/mcpscope/checks"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

const checkUsage = `mcpscope check — check a recording against the MCP specification, for CI

Usage:
  mcpscope check FILE [--format text|json|junit] [--allow CHECK] [--max-p95 KEY=DURATION] [--hung-after D]

FILE is a recording (--record) or the output of --headless. Its observations
go through the same protocol checks mcpscope runs live (README "Protocol
checks"; findings the recording holds already are made again, never counted
twice), on the recording's own clock. Also reported: every JSON-RPC error
answer (check "error", key error:CODE), every HTTP exchange that failed
(error:http), requests unanswered past --hung-after (check "hung"), and the
p95 latency of a method or tool above its --max-p95.

Exit status: 0 when nothing is reported, 1 when something is, 2 on a usage
error or a file that cannot be read.

Formats:
  text   one line per problem, with the spec section it breaks (default)
  json   the report as one JSON object
  junit  JUnit XML for CI systems: a testsuite per session, a testcase per
         check, a failure per problem

Examples:
  mcpscope check traffic.jsonl
  mcpscope check traffic.jsonl --format junit > mcp-checks.xml
  mcpscope check traffic.jsonl --max-p95 tools/call=2s --max-p95 tools/call:search=500ms
  mcpscope check traffic.jsonl --allow error:-32601 --allow tool-list-changed

Flags:
`

// runCheck is mcpscope check FILE.
func runCheck(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("mcpscope check", pflag.ContinueOnError)
	format := fs.StringP("format", "f", "text", "text, json or junit")
	allow := fs.StringArray("allow", nil, "don't report this check (a rule id, error, max-p95) or key (error:-32601, error:http, max-p95:tools/call); repeatable")
	maxP95 := fs.StringArray("max-p95", nil, "KEY=DURATION: report when the p95 latency of a method (tools/call) or a tool (tools/call:NAME) exceeds it; repeatable")
	hungAfter := fs.Duration("hung-after", checks.DefaultHungAfter, "a request unanswered this long (on the recording's clock) is reported hung")
	fs.Usage = func() { fmt.Fprint(fs.Output(), checkUsage+fs.FlagUsages()) }
	if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return status
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "mcpscope check: want one recording FILE, got %d arguments\nRun 'mcpscope check --help' for usage.\n", fs.NArg())
		return 2
	}
	write, ok := map[string]func(io.Writer, *checks.Report) error{
		"text": checks.WriteText, "json": checks.WriteJSON, "junit": checks.WriteJUnit}[*format]
	if !ok {
		fmt.Fprintf(stderr, "mcpscope check: unknown --format %q (want text, json or junit)\n", *format)
		return 2
	}
	opts := checks.CheckOptions{Options: checks.Options{HungAfter: *hungAfter}, Allow: *allow}
	for _, a := range *allow {
		if err := validAllow(a); err != nil {
			fmt.Fprintf(stderr, "mcpscope check: --allow %q: %v\n", a, err)
			return 2
		}
	}
	for _, m := range *maxP95 {
		th, err := parseMaxP95(m)
		if err != nil {
			fmt.Fprintf(stderr, "mcpscope check: --max-p95 %q: %v\n", m, err)
			return 2
		}
		opts.MaxP95 = append(opts.MaxP95, th)
	}
	if *hungAfter <= 0 {
		fmt.Fprintf(stderr, "mcpscope check: --hung-after must be positive, got %v\n", *hungAfter)
		return 2
	}
	input := fs.Arg(0)
	rep, err := checks.CheckRecording(input, func(each func(*proxy.Observation) error) error {
		return record.ReadFile(input, each)
	}, opts)
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope check: %v\n", err)
		return 2
	}
	bw := bufio.NewWriter(stdout)
	err = write(bw, rep)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope check: writing the report: %v\n", err)
		return 2
	}
	if len(rep.Problems) > 0 || rep.Omitted > 0 {
		return 1
	}
	return 0
}

// parseMaxP95 reads KEY=DURATION.
func parseMaxP95(s string) (checks.Threshold, error) {
	key, d, ok := strings.Cut(s, "=")
	if !ok || key == "" {
		return checks.Threshold{}, fmt.Errorf("want KEY=DURATION, e.g. tools/call=2s or tools/call:search=500ms")
	}
	limit, err := time.ParseDuration(d)
	if err != nil || limit <= 0 {
		return checks.Threshold{}, fmt.Errorf("%q is not a positive duration (e.g. 2s, 500ms)", d)
	}
	return checks.Threshold{Key: key, Limit: limit}, nil
}

// validAllow accepts a rule id, a check, or a key of one (error:CODE,
// error:http, max-p95:KEY), so that a typo is not silently allowed.
func validAllow(a string) error {
	if checks.RuleByID(a) != nil || a == checks.CheckError || a == checks.CheckMaxP95 {
		return nil
	}
	if rest, ok := strings.CutPrefix(a, checks.CheckError+":"); ok && rest != "" {
		return nil
	}
	if rest, ok := strings.CutPrefix(a, checks.CheckMaxP95+":"); ok && rest != "" {
		return nil
	}
	ids := make([]string, 0, len(checks.Rules))
	for _, r := range checks.Rules {
		ids = append(ids, r.ID)
	}
	return fmt.Errorf("not a check: want one of %s, error, max-p95, or error:CODE, error:http, max-p95:KEY", strings.Join(ids, ", "))
}
