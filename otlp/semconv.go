package otlp

// Attribute keys and values of the OpenTelemetry semantic conventions for
// MCP, as published in open-telemetry/semantic-conventions-genai v0.1.0
// (docs/gen-ai/mcp.md, model/mcp; status Development), which took over the
// MCP conventions from semantic-conventions v1.41. Names the conventions do
// not cover are mcpscope's own, under "mcpscope.".
const (
	attrMethod          = "mcp.method.name"
	attrSession         = "mcp.session.id"
	attrProtocolVersion = "mcp.protocol.version"
	attrResourceURI     = "mcp.resource.uri"
	attrRequestID       = "jsonrpc.request.id"
	attrStatusCode      = "rpc.response.status_code"
	attrErrorType       = "error.type"
	attrToolName        = "gen_ai.tool.name"
	attrPromptName      = "gen_ai.prompt.name"
	attrOperationName   = "gen_ai.operation.name"
	attrNetTransport    = "network.transport"
	attrNetProtocol     = "network.protocol.name"
	attrServerAddress   = "server.address" // the upstream's host (HTTP)
	attrServerPort      = "server.port"

	opExecuteTool = "execute_tool" // gen_ai.operation.name of a tools/call

	// mcpscope's own.
	attrDirection       = "mcpscope.direction"           // client_to_server or server_to_client
	attrUpstreamSession = "mcpscope.upstream_session.id" // the server's id of the session (mcpscope gives the client its own)
	attrConnection      = "mcpscope.connection"          // sessionless traffic: the client connection it came on
	attrRound           = "mcpscope.round"               // MRTR and task operations: the request's round
	attrOperation       = "mcpscope.operation"           // the multi-request operation it belongs to
	attrEventID         = "mcpscope.sse.event_id"
	attrEventType       = "mcpscope.sse.event_type"
	attrSize            = "mcpscope.size" // bytes of the event or message
	attrProgress        = "mcpscope.progress"
	attrProgressTotal   = "mcpscope.progress.total"
	attrProgressMessage = "mcpscope.progress.message"
	attrReason          = "mcpscope.reason"

	// error.type values where no JSON-RPC code says it (the conventions
	// name tool_error; the others are mcpscope's, low-cardinality).
	errToolError    = "tool_error"
	errHTTP         = "http_error"    // the exchange failed before an answer: upstream unreachable, error status
	errStreamClosed = "stream_closed" // the stream closed before the answer
	errCancelled    = "cancelled"     // notifications/cancelled named the request
	errUnanswered   = "unanswered"    // no answer before the builder closed (or made room)
	errClientLeft   = "client_left"   // the client disconnected before the upstream answered
)
