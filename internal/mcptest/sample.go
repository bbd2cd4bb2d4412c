package mcptest

import (
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// SampleInBackground calls the demo server's sample tool (its server asks
// the client to sample) on its own goroutine and sends what the call ended
// with: the tool's text, "error: " and the call's error, or "no content".
// The call ends with the test's context at the latest.
func SampleInBackground(t testing.TB, cs *mcp.ClientSession) <-chan string {
	done := make(chan string, 1)
	go func() {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "sample", Arguments: map[string]any{"prompt": "why?"}})
		switch {
		case err != nil:
			done <- "error: " + err.Error()
		case len(res.Content) > 0:
			text, _ := res.Content[0].(*mcp.TextContent)
			done <- text.Text
		default:
			done <- "no content"
		}
	}()
	return done
}
