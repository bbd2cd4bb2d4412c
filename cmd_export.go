package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

const exportUsage = `mcpscope export — turn a recording into HAR, Markdown, JSON Lines or OpenTelemetry spans

Usage:
  mcpscope export FILE [--format har|markdown|jsonl|otlp] [-o OUT] [--session ID]
  mcpscope export FILE --otlp URL      send the spans to a collector

FILE is a recording (--record) or the output of --headless. Formats:
  har       HAR 1.2 for browser dev tools and HAR viewers: one entry per HTTP
            exchange, SSE events with their timings in "_sseEvents"; stdio
            sessions (wrap, the bridge) have no HTTP and are left out (said
            on stderr; a recording of stdio sessions only is refused)
  markdown  a readable transcript to paste into a bug report (also: md);
            stdio sessions are headed with their command
  jsonl     the observations again, as a recording (e.g. one session's)
  otlp      one span per MCP operation (the spans --otlp sends live), as OTLP
            JSON: one {"resourceSpans":[...]} per line, the file format of
            the OpenTelemetry collector's otlpjsonfile receiver; --otlp URL
            sends them to a collector (OTLP/HTTP) instead, or as well with
            --format otlp (exit 1 if some were not delivered)
Without --format, the format follows OUT's extension (.har, .md, .jsonl),
else har. Every format redacts credentials (headers and query parameters
named like auth, token, key, cookie..., secret arguments such as password or
api_key, URL passwords; see the README) and --redact-path fields.

Examples:
  mcpscope -u http://127.0.0.1:3001/mcp --record traffic.jsonl
  mcpscope export traffic.jsonl -o traffic.har
  mcpscope export traffic.jsonl --format markdown --session K3PY > bug.md
  mcpscope export traffic.jsonl --format jsonl --session K3PY -o one-session.jsonl
  mcpscope export traffic.jsonl --format otlp -o spans.jsonl
  mcpscope export traffic.jsonl --otlp http://127.0.0.1:4318

Flags:
`

func runExport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("mcpscope export", pflag.ContinueOnError)
	format := fs.StringP("format", "f", "", "har, markdown (md) or jsonl (default: from -o's extension, else har)")
	out := fs.StringP("output", "o", "-", "write here instead of stdout ('-' is stdout)")
	session := fs.StringP("session", "s", "", "export only this session (an id, or a unique prefix of one)")
	paths := fs.StringSlice("redact-path", nil, "also redact this JSON path in messages, e.g. params.arguments.password (repeatable)")
	collector := fs.String("otlp", "", "send the spans (as --format otlp makes them) to this OpenTelemetry collector (OTLP/HTTP), e.g. http://127.0.0.1:4318")
	otlpProtocol := fs.String("otlp-protocol", "http/protobuf", "the encoding of --otlp: http/protobuf or http/json")
	fs.Usage = func() { fmt.Fprint(fs.Output(), exportUsage+fs.FlagUsages()) }
	if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return status
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "mcpscope export: want one recording FILE, got %d arguments\nRun 'mcpscope export --help' for usage.\n", fs.NArg())
		return 2
	}
	input := fs.Arg(0)
	name := *format
	if name == "" {
		name = formatFromExtension(*out)
	}
	toOTLP := strings.EqualFold(name, formatOTLP) || *collector != "" && *format == ""
	var f string
	if !toOTLP {
		var err error
		if f, err = record.ParseFormat(name); err != nil {
			fmt.Fprintf(stderr, "mcpscope export: %v (or otlp)\n", err)
			return 2
		}
	}

	var obs []*record.Observation
	if err := record.ReadFile(input, func(o *record.Observation) error {
		obs = append(obs, o)
		return nil
	}); err != nil {
		fmt.Fprintf(stderr, "mcpscope export: %v\n", err)
		return 1
	}
	if *session != "" {
		id, err := findSession(obs, *session)
		if err != nil {
			fmt.Fprintf(stderr, "mcpscope export: %s: %v\n", input, err)
			return 1
		}
		obs = record.SessionOf(obs, id)
	}

	if toOTLP {
		return exportOTLP(obs, strings.EqualFold(name, formatOTLP), *out, *collector, *otlpProtocol, record.NewRedactor(*paths), stdout, stderr)
	}
	if f == record.FormatHAR {
		if status, ok := harStdioNote(obs, input, stderr); !ok {
			return status
		}
	}

	e := record.Exporter{Source: filepath.Base(input), Version: version, Redactor: record.NewRedactor(*paths)}
	var err error
	if *out == "-" || *out == "" {
		bw := bufio.NewWriter(stdout)
		err = e.Export(bw, obs, f)
		if ferr := bw.Flush(); err == nil && ferr != nil {
			err = fmt.Errorf("writing export: %w", ferr)
		}
	} else {
		err = writeFileAtomically(*out, func(w io.Writer) error { return e.Export(w, obs, f) })
	}
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope export: %v\n", err)
		return 1
	}
	return 0
}

// harStdioNote says on stderr what a HAR export leaves out: stdio
// sessions, which have no HTTP exchanges for HAR to describe. A recording
// with nothing else is an error (ok false, with the exit status).
func harStdioNote(obs []*record.Observation, input string, stderr io.Writer) (status int, ok bool) {
	sessions, messages := record.StdioTraffic(obs)
	if sessions == 0 {
		return 0, true
	}
	what := fmt.Sprintf("%s (%s)", plural.Count(sessions, "stdio session"), plural.Count(messages, "message"))
	for _, o := range obs {
		if o.Type == proxy.TypeHTTP {
			fmt.Fprintf(stderr, "mcpscope export: note: the HAR leaves out %s: HAR describes HTTP exchanges only; export them with --format markdown or --format jsonl\n", what)
			return 0, true
		}
	}
	fmt.Fprintf(stderr, "mcpscope export: %s holds only stdio traffic, %s, and HAR describes HTTP exchanges: export it with --format markdown or --format jsonl\n", input, what)
	return 1, false
}

// formatFromExtension guesses the format from an output file's name
// (har when it tells nothing).
func formatFromExtension(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".md", ".markdown":
		return record.FormatMarkdown
	case ".jsonl", ".ndjson":
		return record.FormatJSONL
	}
	return record.FormatHAR
}

// findSession resolves an id or a unique prefix of one to a session of obs.
func findSession(obs []*record.Observation, want string) (string, error) {
	sessions := record.Sessions(obs)
	var matches []string
	for _, s := range sessions {
		if s == want {
			return s, nil
		}
		if strings.HasPrefix(s, want) {
			matches = append(matches, s)
		}
	}
	switch {
	case len(matches) == 1:
		return matches[0], nil
	case len(matches) > 1:
		return "", fmt.Errorf("session %q is ambiguous: it starts %s", want, strings.Join(matches, ", "))
	case len(sessions) == 0:
		return "", fmt.Errorf("no session %q: the recording names no sessions", want)
	}
	return "", fmt.Errorf("no session %q; the recording has: %s", want, strings.Join(sessions, ", "))
}

// writeFileAtomically writes path through write, via a temporary file in
// the same directory renamed into place: a failed export leaves no
// half-written file (and an existing one untouched). The file is private
// (0600), as recordings are: bodies are exported as recorded.
func writeFileAtomically(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // nothing is left to remove after the rename
	bw := bufio.NewWriterSize(tmp, 64<<10)
	if err := write(bw); err != nil {
		tmp.Close()
		return err
	}
	err = bw.Flush()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
