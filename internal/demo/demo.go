// Package demo runs what "mcpscope demo" shows: the demo MCP server
// (internal/mcpserver) on a loopback port, and a scripted go-sdk client that
// calls it through the proxy every few seconds, so a newcomer sees live SSE
// traffic at once.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
)

// Server is the demo MCP server listening on loopback.
type Server struct {
	URL    string // the MCP endpoint, e.g. http://127.0.0.1:41234/mcp
	kind   mcpserver.Kind
	logger *slog.Logger
	ln     net.Listener
	srv    *http.Server
	mcp    *mcp.Server
	stop   context.CancelFunc // ends the tool calls in flight

	mu      sync.Mutex
	started bool
	closed  bool
}

// Listen reserves a free loopback port for the demo server of the given
// kind, so its URL is known, without serving yet: connections wait in the
// listen queue until Start. The caller must Close it.
func Listen(kind mcpserver.Kind, logger *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting demo server: %w", err)
	}
	return &Server{URL: "http://" + ln.Addr().String() + kind.Path(), kind: kind, logger: logger, ln: ln}, nil
}

// StartServer is Listen and Start.
func StartServer(kind mcpserver.Kind, logger *slog.Logger) (*Server, error) {
	s, err := Listen(kind, logger)
	if err != nil {
		return nil, err
	}
	s.Start()
	return s, nil
}

// Start builds the MCP server and serves on the reserved port. It does
// nothing once the server is closed, or the second time.
func (s *Server) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return
	}
	s.started = true
	stop, cancel := context.WithCancel(context.Background())
	s.mcp, s.stop = mcpserver.New(mcpserver.Options{Logger: s.logger, Stop: stop}), cancel
	mux := http.NewServeMux()
	mux.Handle(s.kind.Path(), mcpserver.Handler(s.kind, s.mcp, mcpserver.Options{Logger: s.logger}))
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(s.ln)
}

// Close stops the server and ends its sessions. The tool calls in flight
// end first: closing a session waits for them.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if !s.started {
		s.ln.Close()
		return
	}
	s.stop()
	s.srv.Close()
	for ss := range s.mcp.Sessions() {
		ss.Close()
	}
}

// Client is the scripted demo client.
type Client struct {
	Endpoint string         // where to connect: the proxy
	Kind     mcpserver.Kind // which transport to speak
	Every    time.Duration  // pause between rounds of calls (default 3s)
	Logger   *slog.Logger   // nil discards
}

// Run connects and makes a round of varied calls every c.Every until ctx
// ends (it then returns nil) or the connection fails.
func (c *Client) Run(ctx context.Context) error {
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "mcpscope-demo-client", Version: "0.1.0"}, &mcp.ClientOptions{
		CreateMessageHandler: func(_ context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			prompt := ""
			if len(req.Params.Messages) > 0 {
				if t, ok := req.Params.Messages[0].Content.(*mcp.TextContent); ok {
					prompt = t.Text
				}
			}
			return &mcp.CreateMessageResult{Model: "demo-model", Role: "assistant", Content: &mcp.TextContent{Text: "a demo answer to: " + prompt}}, nil
		},
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) {},
		LoggingMessageHandler:       func(context.Context, *mcp.LoggingMessageRequest) {},
		ToolListChangedHandler:      func(context.Context, *mcp.ToolListChangedRequest) {},
	})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	httpClient := &http.Client{Transport: tr}
	var transport mcp.Transport = &mcp.StreamableClientTransport{Endpoint: c.Endpoint, HTTPClient: httpClient}
	if c.Kind == mcpserver.LegacySSE {
		transport = &mcp.SSEClientTransport{Endpoint: c.Endpoint, HTTPClient: httpClient}
	}
	cs, err := client.Connect(ctx, transport, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("demo client connecting to %s: %w", c.Endpoint, err)
	}
	defer cs.Close()
	if cs.InitializeResult().ProtocolVersion < "2026-07-28" {
		_ = cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "info"})
	}
	every := c.Every
	if every <= 0 {
		every = 3 * time.Second
	}
	for round := 0; ; round++ {
		if err := c.round(ctx, cs, round); err != nil {
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			logger.Warn("demo client call failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

// round makes one round of calls; what it calls varies with the round.
func (c *Client) round(ctx context.Context, cs *mcp.ClientSession, round int) error {
	if round%4 == 0 {
		if _, err := cs.ListTools(ctx, nil); err != nil {
			return err
		}
	}
	progress := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 10 + 5*(round%4), "interval_ms": 200}}
	progress.SetProgressToken(fmt.Sprintf("demo-%d", round))
	calls := []*mcp.CallToolParams{
		progress,
		{Name: "echo", Arguments: map[string]any{"text": fmt.Sprintf("hello #%d", round)}},
		{Name: "log", Arguments: map[string]any{"count": 3}},
	}
	if round%2 == 1 {
		calls = append(calls, &mcp.CallToolParams{Name: "sample", Arguments: map[string]any{"prompt": "what is MCP?"}})
	}
	if round%3 == 2 {
		calls = append(calls, &mcp.CallToolParams{Name: "notify_later", Arguments: map[string]any{"delay_ms": 500}})
	}
	if round%4 == 3 {
		calls = append(calls, &mcp.CallToolParams{Name: "delete_all"}) // the example rules block it
	}
	var failed error
	for _, p := range calls {
		if _, err := cs.CallTool(ctx, p); err != nil && failed == nil {
			failed = fmt.Errorf("calling %s: %w", p.Name, err) // a rule may block a call: go on with the round
		}
	}
	return failed
}
