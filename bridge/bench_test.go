package bridge

import (
	"net/http/httptest"
	"net/url"
	"os/exec"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// BenchmarkEcho: a tools/call round trip of the go-sdk client to the
// go-sdk stdio server, launched directly (CommandTransport) and through
// the bridge (Streamable HTTP, observed: a subscriber drains the bus).
func BenchmarkEcho(b *testing.B) {
	argv := mcptest.StdioServerCommand("sdk")
	params := &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hello"}}
	client := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "0"}, nil)
	b.Run("direct", func(b *testing.B) {
		cs, err := client.Connect(b.Context(), &mcp.CommandTransport{Command: exec.Command(argv[0], argv[1:]...)}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer cs.Close()
		for b.Loop() {
			if _, err := cs.CallTool(b.Context(), params); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bridge", func(b *testing.B) {
		p := proxy.New(&url.URL{Scheme: "stdio", Opaque: "bench"})
		sub := p.Bus.Subscribe(1<<16, proxy.MaxBytes(16<<20))
		go func() {
			for {
				if _, err := sub.Next(b.Context()); err != nil {
					return
				}
			}
		}()
		br := &Bridge{Proxy: p, Command: argv}
		srv := httptest.NewServer(br)
		defer func() { br.Close(); srv.Close(); sub.Close(); p.Bus.Close() }()
		cs, err := client.Connect(b.Context(), &mcp.StreamableClientTransport{Endpoint: srv.URL + "/mcp"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer cs.Close()
		for b.Loop() {
			if _, err := cs.CallTool(b.Context(), params); err != nil {
				b.Fatal(err)
			}
		}
	})
}
