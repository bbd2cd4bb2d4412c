package otlp

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The bounds of the exporter's memory. Each span holds at most
// spanLimits' attributes and events, each value at most maxValue bytes:
// MaxSpanBytes at worst. The builder waits on at most MaxPending spans,
// the batch processor queues at most MaxQueueSize and exports at most
// MaxExportBatch at a time, taken from its queue: Bound in all, plus the
// bus subscription's byte bound (subscriberBytes). Typical spans are well
// under 2 KiB.
const (
	MaxQueueSize   = 512
	MaxExportBatch = 256
	MaxSpanBytes   = 32 << 10
	Bound          = (MaxPending+MaxQueueSize)*MaxSpanBytes + subscriberBytes
)

// spanLimits bound what one span holds (see MaxSpanBytes: 32 attributes
// and 16 events of 3 attributes, values of maxValue bytes).
func spanLimits() sdktrace.SpanLimits {
	l := sdktrace.NewSpanLimits()
	l.AttributeValueLengthLimit = maxValue
	l.AttributeCountLimit = 32
	l.EventCountLimit = 16
	l.AttributePerEventCountLimit = 3
	l.LinkCountLimit = 0
	l.AttributePerLinkCountLimit = 0
	return l
}

// newResource names the process the spans come from: service mcpscope.
func newResource(version string) *resource.Resource {
	return resource.NewSchemaless(
		attribute.String("service.name", "mcpscope"),
		attribute.String("service.version", version),
	)
}

// newProvider returns a tracer provider that batches spans to exp: never
// waiting when its queue is full (dropping), unless blocking (an export
// of a recording, where nothing is in a hurry and nothing should be lost).
func newProvider(exp sdktrace.SpanExporter, version string, blocking bool) *sdktrace.TracerProvider {
	opts := []sdktrace.BatchSpanProcessorOption{
		sdktrace.WithMaxQueueSize(MaxQueueSize),
		sdktrace.WithMaxExportBatchSize(MaxExportBatch),
		sdktrace.WithBatchTimeout(batchTimeout),
		sdktrace.WithExportTimeout(exportTimeout),
	}
	if blocking {
		opts = append(opts, sdktrace.WithBlocking())
	}
	return sdktrace.NewTracerProvider(
		sdktrace.WithResource(newResource(version)),
		sdktrace.WithRawSpanLimits(spanLimits()),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithIDGenerator(idGenerator{}),
		sdktrace.WithBatcher(exp, opts...),
	)
}
