// Package otlp turns what mcpscope observes into OpenTelemetry spans: live
// from the bus, sent over OTLP/HTTP to a collector (Start, --otlp), or
// from a recording, written as OTLP JSON or sent (Export, mcpscope export
// --format otlp). One Builder makes the spans in both cases.
//
// # Spans
//
// One span per MCP operation: a request, from the moment mcpscope saw it
// until its answer (result or error), named "{mcp.method.name} {target}"
// (the tool or prompt), of kind CLIENT: mcpscope sends the request on to
// the peer and waits for its answer, as an MCP client does. The events of
// the operation — progress notifications, other notifications and SSE
// events on the stream that answers it, a cancellation — are span events.
// A notification that belongs to no pending request is a span of its own,
// of no duration. Attributes follow the OpenTelemetry semantic conventions
// for MCP (see semconv.go for the version), plus a few of mcpscope's own
// under "mcpscope.".
//
// Status: a JSON-RPC error, a tool result with isError, an HTTP exchange
// that failed (unreachable upstream, error status without JSON-RPC), a
// stream that closed before the answer, a cancellation, or a request still
// unanswered when the builder closes set the status to Error, with
// error.type saying which.
//
// A session is an attribute (mcp.session.id), not a parent span: a span
// has one parent, and that place belongs to the client's span (the
// traceparent in the request's params._meta), so that client, mcpscope and
// server spans join in one trace; and a session lives for hours, while a
// span reaches the collector only when it ends, so a session span would
// leave its children orphaned in every viewer until then (and be lost if
// mcpscope is killed).
//
// # Observers never steer
//
// The live exporter is a lossy bus subscriber: the proxy never waits for
// it. Spans go through the SDK's BatchSpanProcessor, whose queue holds at
// most MaxQueueSize spans (dropped past it), and span limits bound each
// span's bytes (MaxSpanBytes): the exporter's memory is bounded in bytes
// (see Bound). A collector that is down or slow costs retries on the
// exporter's goroutine, never the proxy's time. What is lost — observations
// the bus dropped, spans dropped by the queue or not accepted by the
// collector — is counted (Report) and said: as a notice on the bus while
// it happens, on stderr at exit.
package otlp
