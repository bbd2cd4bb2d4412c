// Package mcpserver builds the small MCP server that "mcpscope demo" serves
// and that tests put behind the proxy.
//
// The server is named "mcpscope-demo" and has these tools:
//
//   - progress {count, interval_ms}: sends count notifications, interval_ms
//     apart, the first one at once. If the call has a progress token they are
//     notifications/progress (progress 1..count, total count); otherwise they
//     are notifications/message log messages. Then it returns "done <count>".
//   - echo {text}: returns text.
//   - delete_all {}: a harmless stand-in for a dangerous tool (the example
//     rules block it).
//   - sample {prompt}: asks the client to sample (sampling/createMessage) and
//     returns the text of the reply. On sessions before 2026-07-28 this is a
//     real server→client JSON-RPC request sent while the call is in flight.
//     On 2026-07-28 (sessionless) requests, where the server may not send
//     requests, it returns an input-required result carrying the sampling
//     request instead (SEP-2322 multi round-trip); the go-sdk client fulfils
//     it and calls the tool again with a new JSON-RPC id.
//   - log {count}: sends count notifications/message (level "info") and
//     returns "logged <count>". Nothing is sent unless the client asked for a
//     level: logging/setLevel before 2026-07-28, the
//     io.modelcontextprotocol/logLevel _meta key on 2026-07-28.
//   - notify_later {delay_ms}: returns "scheduled <n>" at once; delay_ms
//     later (default 50), outside any request, it sends the calling session a
//     log message "later <n>", then adds or removes the tool "later" (every
//     session gets notifications/tools/list_changed) and reports
//     demo://greeting updated to its subscribers (notifications/resources/updated).
//     Notifications sent outside a request go on the standalone GET stream
//     (stateful streamable HTTP), the single SSE stream (legacy SSE) or a
//     subscriptions/listen stream (2026-07-28; the session-scoped log message
//     is lost there, as the request's session is gone).
//
// It also has the resource demo://greeting (subscribable) and the prompt
// "greet" {name}.
package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Name is the server's implementation name.
const Name = "mcpscope-demo"

// GreetingURI is the URI of the demo resource.
const GreetingURI = "demo://greeting"

// sessionlessVersion is the protocol revision without sessions (SEP-2575).
const sessionlessVersion = "2026-07-28"

// Options configures the demo server and its HTTP handler.
type Options struct {
	// Logger receives the go-sdk's server and transport logs. Nil discards them.
	Logger *slog.Logger
	// Stop, when it ends, ends the tool calls in flight: closing a session
	// waits for them, and the progress tool may run for minutes. Nil means
	// never.
	Stop context.Context
}

// New returns a new demo server. Each call returns an independent server.
func New(opts Options) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: Name, Version: "0.1.0"}, &mcp.ServerOptions{
		Logger:             opts.Logger,
		Instructions:       "Demo server for mcpscope: tools that stream, sample and notify.",
		SubscribeHandler:   func(context.Context, *mcp.SubscribeRequest) error { return nil },
		UnsubscribeHandler: func(context.Context, *mcp.UnsubscribeRequest) error { return nil },
	})
	d := &demo{s: s, stop: opts.Stop}
	if d.stop == nil {
		d.stop = context.Background()
	}
	mcp.AddTool(s, &mcp.Tool{Name: "progress", Description: "Send count progress notifications (or log messages without a progress token), then return."}, d.progress)
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "Return text."}, echo)
	mcp.AddTool(s, &mcp.Tool{Name: "delete_all", Description: "Pretend to delete everything (the example rules block it)."}, deleteAll)
	mcp.AddTool(s, &mcp.Tool{Name: "sample", Description: "Ask the client to sample a reply to prompt, and return it."}, sample)
	mcp.AddTool(s, &mcp.Tool{Name: "log", Description: "Send count log messages, then return."}, logTool)
	mcp.AddTool(s, &mcp.Tool{Name: "notify_later", Description: "Return at once; after delay_ms send notifications outside any request."}, d.notifyLater)
	s.AddResource(&mcp.Resource{URI: GreetingURI, Name: "greeting", MIMEType: "text/plain"}, readGreeting)
	s.AddPrompt(&mcp.Prompt{Name: "greet", Arguments: []*mcp.PromptArgument{{Name: "name"}}}, greet)
	return s
}

type demo struct {
	s       *mcp.Server
	stop    context.Context // see Options.Stop
	mu      sync.Mutex
	n       int  // notify_later calls so far
	laterOn bool // whether the tool "later" is present
}

// ProgressArgs are the arguments of the progress tool.
type ProgressArgs struct {
	Count      int `json:"count" jsonschema:"number of notifications to send"`
	IntervalMS int `json:"interval_ms,omitempty" jsonschema:"milliseconds between notifications"`
}

func (d *demo) progress(ctx context.Context, req *mcp.CallToolRequest, in ProgressArgs) (*mcp.CallToolResult, any, error) {
	if in.Count < 0 || in.Count > 100000 || in.IntervalMS < 0 || in.IntervalMS > 60000 {
		return nil, nil, fmt.Errorf("count must be in [0, 100000] and interval_ms in [0, 60000]")
	}
	token := req.Params.GetProgressToken()
	for i := 1; i <= in.Count; i++ {
		if i > 1 {
			if err := sleep(ctx, d.stop, time.Duration(in.IntervalMS)*time.Millisecond); err != nil {
				return nil, nil, err
			}
		}
		msg := fmt.Sprintf("step %d/%d", i, in.Count)
		var err error
		if token != nil {
			err = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
				ProgressToken: token, Progress: float64(i), Total: float64(in.Count), Message: msg,
			})
		} else {
			err = req.Session.Log(ctx, &mcp.LoggingMessageParams{Level: "info", Logger: "progress", Data: msg})
		}
		if err != nil {
			return nil, nil, fmt.Errorf("sending %s: %w", msg, err)
		}
	}
	return text("done %d", in.Count), nil, nil
}

// EchoArgs are the arguments of the echo tool.
type EchoArgs struct {
	Text string `json:"text"`
}

func echo(_ context.Context, _ *mcp.CallToolRequest, in EchoArgs) (*mcp.CallToolResult, any, error) {
	return text("%s", in.Text), nil, nil
}

// deleteAll is a harmless stand-in for a dangerous tool, so the example
// rules have something worth blocking.
func deleteAll(_ context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
	return text("deleted nothing: this is a demo"), nil, nil
}

// SampleArgs are the arguments of the sample tool.
type SampleArgs struct {
	Prompt string `json:"prompt"`
}

const sampleKey = "sample" // input request id for the multi round-trip path

func sample(ctx context.Context, req *mcp.CallToolRequest, in SampleArgs) (*mcp.CallToolResult, any, error) {
	if r, ok := req.Params.InputResponses[sampleKey]; ok { // 2026-07-28 retry
		res, ok := r.(*mcp.CreateMessageWithToolsResult)
		if !ok {
			return nil, nil, fmt.Errorf("input response is %T, want a sampling result", r)
		}
		return text("%s", contentText(res.Content...)), nil, nil
	}
	params := &mcp.CreateMessageParams{
		MaxTokens: 100,
		Messages:  []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: in.Prompt}}},
	}
	if req.ProtocolVersion() >= sessionlessVersion {
		return &mcp.CallToolResult{InputRequests: mcp.InputRequestMap{sampleKey: params}}, nil, nil
	}
	res, err := req.Session.CreateMessage(ctx, params)
	if err != nil {
		return nil, nil, err
	}
	return text("%s", contentText(res.Content)), nil, nil
}

// LogArgs are the arguments of the log tool.
type LogArgs struct {
	Count int `json:"count" jsonschema:"number of log messages to send"`
}

func logTool(ctx context.Context, req *mcp.CallToolRequest, in LogArgs) (*mcp.CallToolResult, any, error) {
	for i := 1; i <= in.Count; i++ {
		if err := req.Session.Log(ctx, &mcp.LoggingMessageParams{Level: "info", Logger: "log", Data: fmt.Sprintf("log %d/%d", i, in.Count)}); err != nil {
			return nil, nil, err
		}
	}
	return text("logged %d", in.Count), nil, nil
}

// NotifyLaterArgs are the arguments of the notify_later tool.
type NotifyLaterArgs struct {
	DelayMS int `json:"delay_ms,omitempty" jsonschema:"milliseconds to wait after returning (default 50)"`
}

func (d *demo) notifyLater(_ context.Context, req *mcp.CallToolRequest, in NotifyLaterArgs) (*mcp.CallToolResult, any, error) {
	delay := time.Duration(in.DelayMS) * time.Millisecond
	if in.DelayMS <= 0 {
		delay = 50 * time.Millisecond
	}
	d.mu.Lock()
	d.n++
	n := d.n
	d.mu.Unlock()
	ss := req.Session
	time.AfterFunc(delay, func() {
		ctx := context.Background() // detached: not part of any request
		_ = ss.Log(ctx, &mcp.LoggingMessageParams{Level: "info", Logger: "notify_later", Data: fmt.Sprintf("later %d", n)})
		d.toggleLater()
		_ = d.s.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: GreetingURI})
	})
	return text("scheduled %d", n), nil, nil
}

// toggleLater adds or removes the tool "later", so that every session is sent
// notifications/tools/list_changed.
func (d *demo) toggleLater() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.laterOn {
		d.s.RemoveTools("later")
	} else {
		mcp.AddTool(d.s, &mcp.Tool{Name: "later", Description: "Added by notify_later."}, echo)
	}
	d.laterOn = !d.laterOn
}

func readGreeting(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{
		{URI: req.Params.URI, MIMEType: "text/plain", Text: "hello from " + Name},
	}}, nil
}

func greet(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	name := req.Params.Arguments["name"]
	if name == "" {
		name = "world"
	}
	return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{
		{Role: "user", Content: &mcp.TextContent{Text: "Say hello to " + name + "."}},
	}}, nil
}

func text(format string, args ...any) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf(format, args...)}}}
}

func contentText(cs ...mcp.Content) string {
	var parts []string
	for _, c := range cs {
		if t, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// sleep waits for d, or until the call's ctx or the server's stop ends.
func sleep(ctx, stop context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-stop.Done():
		return errors.New("the server is stopping")
	}
}
