package otlp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/mcpscope/mcpscope/proxy"
)

// ExportOptions say where Export puts the spans: Out, as OTLP JSON lines,
// and/or the collector at Endpoint.
type ExportOptions struct {
	Out      io.Writer // nil: none
	Endpoint string    // "": none
	Protocol string    // Protobuf (default) or JSON
	Version  string
	Timeout  time.Duration       // how long the collector may take for all; 0: 30 s
	Redact   func(string) string // see Builder.Redact
}

// Export turns a recording's observations, in order, into spans (the same
// Builder as live) and writes them to opts.Out and/or sends them to
// opts.Endpoint. Nothing is dropped for lack of room (the queue waits);
// requests without an answer in the recording end, unanswered, at the last
// observation's time. The report counts what the collector did not take.
func Export(obs []*proxy.Observation, opts ExportOptions) (Report, error) {
	if opts.Out == nil && opts.Endpoint == "" {
		return Report{}, errors.New("otlp export: nowhere to put the spans")
	}
	// The collector's exporter first: a bad URL returns before any
	// batcher (and its goroutine) starts.
	var batchers []sdktrace.TracerProviderOption
	var sent *counting
	if opts.Endpoint != "" {
		endpoint, err := ParseEndpoint(opts.Endpoint)
		if err != nil {
			return Report{}, err
		}
		exp, err := newHTTPExporter(endpoint, opts.Protocol)
		if err != nil {
			return Report{}, err
		}
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {})) // counted and said by the caller
		sent = &counting{SpanExporter: exp}
		batchers = append(batchers, sdktrace.WithBatcher(sent, sdktrace.WithBlocking(), sdktrace.WithMaxQueueSize(MaxQueueSize),
			sdktrace.WithMaxExportBatchSize(MaxExportBatch), sdktrace.WithExportTimeout(exportTimeout)))
	}
	var file *jsonLines
	if opts.Out != nil {
		file = &jsonLines{w: opts.Out}
		batchers = append(batchers, sdktrace.WithBatcher(file, sdktrace.WithBlocking(), sdktrace.WithMaxQueueSize(MaxQueueSize), sdktrace.WithMaxExportBatchSize(MaxExportBatch)))
	}
	tp := sdktrace.NewTracerProvider(append(batchers,
		sdktrace.WithResource(newResource(opts.Version)),
		sdktrace.WithRawSpanLimits(spanLimits()),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithIDGenerator(idGenerator{}))...)
	b := NewBuilder(tp, opts.Version)
	b.Redact = opts.Redact
	var last time.Time
	for _, o := range obs {
		b.Observe(o)
		if o.Time.After(last) {
			last = o.Time
		}
	}
	b.Close(last)
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	serr := tp.Shutdown(ctx)
	r := Report{Spans: b.Spans(), Missed: b.Missed()}
	if sent != nil {
		r.Sent, r.Failed, r.Err = sent.sent.Load(), sent.failed.Load(), sent.lastError()
		r.Queue = max(0, r.Spans-r.Sent-r.Failed)
	}
	if file != nil {
		file.mu.Lock()
		err := file.err
		file.mu.Unlock()
		if err != nil {
			return r, err
		}
	}
	if serr != nil && sent == nil {
		return r, fmt.Errorf("otlp export: %w", serr)
	}
	return r, nil
}
