package mcptest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
)

// Methods of the events a [ClientRecorder] records.
const (
	MethodProgress        = "notifications/progress"
	MethodLog             = "notifications/message"
	MethodToolListChanged = "notifications/tools/list_changed"
	MethodResourceUpdated = "notifications/resources/updated"
	MethodSampling        = "sampling/createMessage" // a server→client request
)

// SessionlessVersion is the protocol revision without sessions.
const SessionlessVersion = "2026-07-28"

// SampleReply is the text the test client's sampling handler answers prompt with.
func SampleReply(prompt string) string { return "sampled: " + prompt }

// ClientOptions configures [Connect]. The zero value is ready to use.
type ClientOptions struct {
	// ProtocolVersion is the version the client asks for. Empty means the
	// go-sdk default, 2026-07-28, which tries server/discover first and falls
	// back to initialize with 2025-11-25 if the server does not offer
	// 2026-07-28 (every kind but Stateless).
	ProtocolVersion string
	// LogLevel is the least severe log level the client asks for; empty means
	// "debug". See [Connect].
	LogLevel mcp.LoggingLevel
	// HTTPClient is used for every HTTP request. Nil means a new client with
	// its own transport, whose idle connections are closed at cleanup.
	HTTPClient *http.Client
	// DisableStandaloneSSE stops a streamable client from opening the GET stream.
	DisableStandaloneSSE bool
}

// Connect connects a go-sdk client to endpoint, failing t on error;
// t.Cleanup closes the session (Close is idempotent, so tests may close it
// themselves to test DELETE). LegacySSE uses mcp.SSEClientTransport, the
// other kinds mcp.StreamableClientTransport.
//
// The client answers sampling requests with [SampleReply] and records
// sampling requests, progress and log notifications, tools/list_changed and
// resources/updated in the returned recorder.
//
// For Stateless, Connect fails t unless 2026-07-28 was negotiated (when
// ProtocolVersion is empty), so a proxy that breaks server/discover is caught
// rather than silently falling back to initialize (see the package doc).
//
// Log levels: before 2026-07-28 Connect sends logging/setLevel; on
// 2026-07-28 a sending middleware adds io.modelcontextprotocol/logLevel to
// the _meta of every request, since the server sends nothing without it.
func Connect(t testing.TB, ctx context.Context, kind mcpserver.Kind, endpoint string, opts ClientOptions) (*mcp.ClientSession, *ClientRecorder) {
	t.Helper()
	rec := &ClientRecorder{changed: make(chan struct{})}
	level := opts.LogLevel
	if level == "" {
		level = "debug"
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "mcptest-client", Version: "0.1.0"}, &mcp.ClientOptions{
		CreateMessageHandler: rec.sample,
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			rec.add(MethodProgress, r.Params)
		},
		LoggingMessageHandler:  func(_ context.Context, r *mcp.LoggingMessageRequest) { rec.add(MethodLog, r.Params) },
		ToolListChangedHandler: func(_ context.Context, r *mcp.ToolListChangedRequest) { rec.add(MethodToolListChanged, r.Params) },
		ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) {
			rec.add(MethodResourceUpdated, r.Params)
		},
	})
	client.AddSendingMiddleware(logLevelMeta(level))

	httpClient := opts.HTTPClient
	if httpClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		httpClient = &http.Client{Transport: tr}
		t.Cleanup(tr.CloseIdleConnections)
	}
	var transport mcp.Transport = &mcp.StreamableClientTransport{
		Endpoint: endpoint, HTTPClient: httpClient, DisableStandaloneSSE: opts.DisableStandaloneSSE,
	}
	if kind == mcpserver.LegacySSE {
		transport = &mcp.SSEClientTransport{Endpoint: endpoint, HTTPClient: httpClient}
	}
	cs, err := client.Connect(ctx, transport, &mcp.ClientSessionOptions{ProtocolVersion: opts.ProtocolVersion})
	if err != nil {
		t.Fatalf("connecting to %s (%s): %v", endpoint, kind, err)
	}
	t.Cleanup(func() { cs.Close() })
	version := cs.InitializeResult().ProtocolVersion
	if kind == mcpserver.Stateless && opts.ProtocolVersion == "" && version != SessionlessVersion {
		t.Fatalf("stateless server: negotiated protocol %q, want %q", version, SessionlessVersion)
	}
	if version < SessionlessVersion {
		if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: level}); err != nil {
			t.Fatalf("logging/setLevel: %v", err)
		}
	}
	return cs, rec
}

// logLevelMeta adds the 2026-07-28 per-request log level to requests that
// carry the 2026-07-28 _meta keys.
func logLevelMeta(level mcp.LoggingLevel) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if p := req.GetParams(); p != nil {
				if m := p.GetMeta(); m != nil && m[mcp.MetaKeyProtocolVersion] != nil && m[mcp.MetaKeyLogLevel] == nil {
					m[mcp.MetaKeyLogLevel] = level
				}
			}
			return next(ctx, method, req)
		}
	}
}

// Event is something the test client received.
type Event struct {
	Method string     // one of the Method* constants
	At     time.Time  // arrival time
	Params mcp.Params // e.g. *mcp.ProgressNotificationParams, *mcp.CreateMessageParams
}

// ClientRecorder records what a [Connect]ed client receives. It is safe for
// concurrent use.
type ClientRecorder struct {
	mu      sync.Mutex
	events  []Event
	changed chan struct{} // closed and replaced on every new event
}

func (r *ClientRecorder) add(method string, p mcp.Params) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, Event{Method: method, At: time.Now(), Params: p})
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *ClientRecorder) sample(_ context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
	r.add(MethodSampling, req.Params)
	var prompt string
	if n := len(req.Params.Messages); n > 0 {
		if t, ok := req.Params.Messages[n-1].Content.(*mcp.TextContent); ok {
			prompt = t.Text
		}
	}
	return &mcp.CreateMessageResult{
		Model: "mcptest", Role: "assistant", Content: &mcp.TextContent{Text: SampleReply(prompt)},
	}, nil
}

// Events returns the events with the given method, in arrival order.
func (r *ClientRecorder) Events(method string) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if e.Method == method {
			out = append(out, e)
		}
	}
	return out
}

// Times returns the arrival times of the events with the given method.
func (r *ClientRecorder) Times(method string) []time.Time {
	var ts []time.Time
	for _, e := range r.Events(method) {
		ts = append(ts, e.At)
	}
	return ts
}

// Wait waits until at least n events with the given method have arrived and
// returns them, or returns those so far and an error after timeout.
func (r *ClientRecorder) Wait(method string, n int, timeout time.Duration) ([]Event, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		changed := r.changed
		r.mu.Unlock()
		if evs := r.Events(method); len(evs) >= n {
			return evs, nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			evs := r.Events(method)
			return evs, fmt.Errorf("got %d %s events after %v, want %d", len(evs), method, timeout, n)
		}
	}
}

// WaitProgress waits for n progress notifications; see [ClientRecorder.Wait].
func (r *ClientRecorder) WaitProgress(n int, timeout time.Duration) ([]Event, error) {
	return r.Wait(MethodProgress, n, timeout)
}
