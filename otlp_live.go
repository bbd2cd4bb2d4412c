package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/mcpscope/mcpscope/otlp"
	"github.com/mcpscope/mcpscope/proxy"
)

// otlpGrace bounds how long the exit waits for the collector to take the
// last spans.
const otlpGrace = 3 * time.Second

// startOTLP exports the bus's traffic as spans to o.otlp until the
// returned stop, which sends what is left (for up to otlpGrace) and says
// on stderr what became of the spans. Failures while running are notices
// on the bus (the TUI's status line, --headless's output).
func startOTLP(o *options, p *proxy.Proxy, stderr io.Writer) (stop func(), err error) {
	redact := func(s string) string { return s }
	if r := o.redactor(); r != nil {
		redact = r.Text
	}
	live, err := otlp.Start(p.Bus, otlp.Options{Endpoint: o.otlp, Protocol: o.otlpProtocol, Version: version, Notice: p.Notice, Redact: redact})
	if err != nil {
		return nil, err
	}
	endpoint, _ := otlp.ParseEndpoint(o.otlp)
	fmt.Fprintf(stderr, "mcpscope: sending spans to %s (OTLP %s)\n", redact(endpoint), o.otlpProtocol)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), otlpGrace)
		defer cancel()
		r := live.Stop(ctx)
		sayBounded(stderr, "mcpscope: otlp: "+redact(r.String())+"\n")
	}, nil
}
