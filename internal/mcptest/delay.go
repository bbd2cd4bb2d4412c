package mcptest

import (
	"context"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// AddDelayTool adds a tool that answers "slept" after d (or an error when
// its call is cancelled first), for tests of latency figures. Add tools
// before clients connect (adding one later notifies them of a list change).
func AddDelayTool(s *mcp.Server, name string, d time.Duration) {
	mcp.AddTool(s, &mcp.Tool{Name: name, Description: "Sleep " + d.String() + ", then return."},
		func(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "slept"}}}, nil, nil
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
		})
}

// AddHangTool adds a tool whose calls never return until their request is
// cancelled or release is called (release is idempotent; call it, e.g. in
// t.Cleanup, so the server's handlers end).
func AddHangTool(s *mcp.Server, name string) (release func()) {
	done := make(chan struct{})
	var once sync.Once
	mcp.AddTool(s, &mcp.Tool{Name: name, Description: "Never return (until released)."},
		func(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			select {
			case <-done:
				return nil, nil, context.Canceled
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
		})
	return func() { once.Do(func() { close(done) }) }
}
