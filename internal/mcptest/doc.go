// Package mcptest provides test fixtures around the demo server
// ([github.com/mcpscope/mcpscope/internal/mcpserver]): an [Upstream] that records every HTTP
// request and JSON-RPC message it receives, and [Connect], which attaches a
// go-sdk client whose [ClientRecorder] records what the server sends.
//
// # The 2026-07-28 (sessionless) revision in the go-sdk v1.8.0 client
//
// Nothing needs switching on: ClientSessionOptions.ProtocolVersion defaults
// to 2026-07-28, and for that version Client.Connect first sends
// server/discover, with the _meta keys io.modelcontextprotocol/protocolVersion,
// clientInfo and clientCapabilities and the MCP-Protocol-Version header. If
// the result lists 2026-07-28 (only a Stateless handler does), the session is
// sessionless:
//
//   - no initialize, notifications/initialized, Mcp-Session-Id, GET stream,
//     DELETE, logging/setLevel or ping;
//   - every request carries the _meta triple and the MCP-Protocol-Version,
//     Mcp-Method and (tools/call, prompts/get, resources/read) Mcp-Name
//     headers, which the server checks against the body (400 on mismatch);
//   - list results are cached on the client, so a second ListTools may not
//     reach the server;
//   - the server may not send requests: sampling travels as an
//     input-required tool result, and the client calls the tool again with
//     the answer and a new JSON-RPC id (multi round-trip, SEP-2322);
//   - a client with a ToolListChangedHandler opens a long-lived
//     subscriptions/listen POST (SSE), the sessionless stand-in for the GET
//     stream, and Subscribe opens another; closing the session cancels them
//     (the HTTP request is dropped, and a notifications/cancelled is POSTed).
//
// Otherwise (stateful and legacy SSE servers answer discover with legacy
// versions only) the client falls back to initialize with 2025-11-25. A
// stateful server handles that discover in a throwaway session whose id it
// never returns. So every kind's first JSON-RPC request is server/discover.
package mcptest
