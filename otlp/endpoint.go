package otlp

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The exporter's timing: a batch goes at least every batchTimeout; one
// request to the collector waits at most requestTimeout; a batch the
// collector refuses or does not answer is retried for at most
// retryElapsed, then dropped (and counted). exportTimeout bounds one
// batch's export, retries included.
var (
	batchTimeout   = time.Second
	requestTimeout = 5 * time.Second
	retryElapsed   = 10 * time.Second
	exportTimeout  = 15 * time.Second
)

// Encodings of OTLP/HTTP (the values of OTEL_EXPORTER_OTLP_PROTOCOL).
const (
	Protobuf = "http/protobuf"
	JSON     = "http/json"
)

// ParseEndpoint checks a collector URL for --otlp and returns the URL
// spans are posted to: http or https with a host; a URL without a path
// gets OTLP's /v1/traces (a path given is used as it is).
func ParseEndpoint(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("--otlp %q: want an OTLP/HTTP collector URL, e.g. http://127.0.0.1:4318 (posted to /v1/traces)", raw)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

// newHTTPExporter returns an OTLP/HTTP exporter posting to endpoint (a
// ParseEndpoint result) in the encoding named (Protobuf or JSON), with
// bounded timeouts and retries. Headers (e.g. an API key) come from
// OTEL_EXPORTER_OTLP_HEADERS as the SDK reads them.
func newHTTPExporter(endpoint, encoding string) (sdktrace.SpanExporter, error) {
	enc := otlptracehttp.EncodingProtobuf
	switch encoding {
	case "", Protobuf:
	case JSON:
		enc = otlptracehttp.EncodingJSON
	default:
		return nil, fmt.Errorf("--otlp-protocol %q: want %s or %s", encoding, Protobuf, JSON)
	}
	return otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(endpoint),
		otlptracehttp.WithEncoding(enc),
		otlptracehttp.WithTimeout(requestTimeout),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: true, InitialInterval: 500 * time.Millisecond, MaxInterval: 2 * time.Second, MaxElapsedTime: retryElapsed}),
	)
}

// counting wraps an exporter and counts the spans it was handed: sent
// (the collector accepted the batch) or failed (the batch was given up,
// after the retries). onFail, if set, is called after each failed batch,
// on the exporter's goroutine.
type counting struct {
	sdktrace.SpanExporter
	sent, failed atomic.Int64
	lastErr      atomic.Pointer[string]
	onFail       func(n int, err error)
}

func (c *counting) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := c.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		c.failed.Add(int64(len(spans)))
		msg := err.Error()
		c.lastErr.Store(&msg)
		if c.onFail != nil {
			c.onFail(len(spans), err)
		}
		return err
	}
	c.sent.Add(int64(len(spans)))
	return nil
}

// lastError is the last export error's text ("" if none).
func (c *counting) lastError() string {
	if p := c.lastErr.Load(); p != nil {
		return *p
	}
	return ""
}
