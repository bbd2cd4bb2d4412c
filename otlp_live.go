package main

import (
	"context"
	"errors"
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
//
// With --otlp-propagate, the proxy writes trace context into the requests
// it sends upstream (otlp.Propagator); stdio traffic (wrap, the bridge) is
// not rewritten.
func startOTLP(o *options, p *proxy.Proxy, stderr io.Writer) (stop func(), err error) {
	if o.otlp == "" {
		return nil, errors.New("--otlp-propagate needs --otlp: the spans the server's would join are mcpscope's")
	}
	var prop *otlp.Propagator
	if o.otlpPropagate {
		prop = otlp.NewPropagator()
		p.Propagate = prop.Rewrite
	}
	redact := func(s string) string { return s }
	if r := o.redactor(); r != nil {
		redact = r.Text
	}
	live, err := otlp.Start(p.Bus, otlp.Options{Endpoint: o.otlp, Protocol: o.otlpProtocol, Version: version, Notice: p.Notice, Redact: redact, Propagator: prop})
	if err != nil {
		return nil, err
	}
	endpoint, _ := otlp.ParseEndpoint(o.otlp)
	fmt.Fprintf(stderr, "mcpscope: sending spans to %s (OTLP %s)\n", redact(endpoint), o.otlpProtocol)
	if prop != nil {
		fmt.Fprintln(stderr, "mcpscope: --otlp-propagate: requests to the server carry mcpscope's traceparent in params._meta (their bytes change)")
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), otlpGrace)
		defer cancel()
		r := live.Stop(ctx)
		sayBounded(stderr, "mcpscope: otlp: "+redact(r.String())+"\n")
	}, nil
}
