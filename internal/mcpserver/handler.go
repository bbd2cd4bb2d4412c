package mcpserver

import (
	"fmt"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Kind selects the HTTP transport a [Handler] speaks.
type Kind string

const (
	// Stateful is streamable HTTP with sessions (Mcp-Session-Id), SSE
	// responses, a standalone GET stream and a MemoryEventStore, so streams
	// can be resumed with Last-Event-ID. Protocol versions up to 2025-11-25.
	Stateful Kind = "stateful"
	// StatefulJSON is Stateful with JSONResponse: a POST holding one call is
	// answered with a single application/json body, and whatever the server
	// sends while handling it (progress, log messages, sampling requests)
	// goes on the standalone GET stream instead.
	StatefulJSON Kind = "stateful-json"
	// Stateless is streamable HTTP without sessions: the 2026-07-28 revision
	// (SEP-2575). POST only (GET and DELETE get 405); every request carries
	// its protocol version, client info and capabilities in _meta and the
	// MCP-Protocol-Version header; server/discover replaces initialize. The
	// handler ties a request's context to its HTTP request
	// (PropagateRequestCancellation), so a client going away cancels the call.
	Stateless Kind = "stateless"
	// LegacySSE is the 2024-11-05 HTTP+SSE transport: GET opens the event
	// stream, whose first event is "endpoint" with the POST URL
	// ("<path>?sessionid=<id>"); POSTs are answered 202 and everything the
	// server sends goes on the GET stream.
	LegacySSE Kind = "sse"
)

// Kinds returns all kinds.
func Kinds() []Kind { return []Kind{Stateful, StatefulJSON, Stateless, LegacySSE} }

// ParseKind returns the Kind named s.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown server kind %q (want stateful, stateful-json, stateless or sse)", s)
}

// Path is the conventional path to mount the handler on: "/sse" for
// LegacySSE, "/mcp" otherwise. The legacy handler answers GET and POST on the
// same path, and its endpoint event is relative to the GET's URL.
func (k Kind) Path() string {
	if k == LegacySSE {
		return "/sse"
	}
	return "/mcp"
}

// Handler returns an http.Handler serving s with the transport kind; it
// panics on an unknown kind. All sessions share s.
//
// DNS-rebinding protection is left on: a request that arrives on a loopback
// address with a non-loopback Host header is refused with 403. A proxy in
// front must therefore send Host: <upstream host:port> (or another loopback
// name). No Origin check is configured.
func Handler(kind Kind, s *mcp.Server, opts Options) http.Handler {
	get := func(*http.Request) *mcp.Server { return s }
	switch kind {
	case Stateful, StatefulJSON:
		return mcp.NewStreamableHTTPHandler(get, &mcp.StreamableHTTPOptions{
			JSONResponse: kind == StatefulJSON,
			EventStore:   mcp.NewMemoryEventStore(nil),
			Logger:       opts.Logger,
		})
	case Stateless:
		return mcp.NewStreamableHTTPHandler(get, &mcp.StreamableHTTPOptions{
			Stateless:                    true,
			PropagateRequestCancellation: true,
			Logger:                       opts.Logger,
		})
	case LegacySSE:
		return mcp.NewSSEHandler(get, nil)
	}
	panic(fmt.Sprintf("mcpserver: unknown kind %q", kind))
}
