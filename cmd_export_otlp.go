package main

import (
	"bufio"
	"fmt"
	"io"

	"github.com/mcpscope/mcpscope/otlp"
	"github.com/mcpscope/mcpscope/record"
)

// formatOTLP is export's --format for OpenTelemetry spans (package otlp):
// OTLP JSON, one ExportTraceServiceRequest per line.
const formatOTLP = "otlp"

// exportOTLP turns obs into spans: written as OTLP JSON to out ("-" is
// stdout) when write, sent to the collector at endpoint when it is set.
// The spans carry no message bodies: names, ids and the attributes of the
// MCP conventions (see otlp), the free texts among them (error messages,
// URIs) redacted by redactor.
func exportOTLP(obs []*record.Observation, write bool, out, endpoint, protocol string, redactor *record.Redactor, stdout, stderr io.Writer) int {
	opts := otlp.ExportOptions{Endpoint: endpoint, Protocol: protocol, Version: version, Redact: redactor.Text}
	run := func(w io.Writer) error {
		opts.Out = w
		r, err := otlp.Export(obs, opts)
		if err != nil {
			return err
		}
		if endpoint != "" || r.Missed > 0 || r.Spans == 0 {
			fmt.Fprintf(stderr, "mcpscope export: otlp: %s\n", redactor.Text(r.String()))
		}
		if r.Failed+r.Queue > 0 {
			return fmt.Errorf("%d spans were not delivered to %s", r.Failed+r.Queue, redactor.Text(endpoint))
		}
		return nil
	}
	var err error
	switch {
	case !write:
		err = run(nil)
	case out == "-" || out == "":
		bw := bufio.NewWriter(stdout)
		err = run(bw)
		if ferr := bw.Flush(); err == nil && ferr != nil {
			err = fmt.Errorf("writing export: %w", ferr)
		}
	default:
		err = writeFileAtomically(out, run)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mcpscope export: %v\n", err)
		return 1
	}
	return 0
}
