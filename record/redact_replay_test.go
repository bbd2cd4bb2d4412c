package record

import (
	"bytes"
	"context"
	"net"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// TestReplayMatchesRedactedArguments: a request recorded with a secret
// argument redacted is still answered when the live request carries the
// secret (replay keys requests as redaction leaves them).
func TestReplayMatchesRedactedArguments(t *testing.T) {
	call := func(endpoint, password string) string {
		cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, endpoint, mcptest.ClientOptions{})
		defer cs.Close()
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi", "password": password}})
		if err != nil {
			t.Fatalf("calling %s: %v", endpoint, err)
		}
		return res.Content[0].(*mcp.TextContent).Text
	}
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	u, _ := url.Parse(up.URL)
	p := proxy.New(u)
	tr := proxy.NewTransport(0)
	p.Transport = tr
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := p.NewServer()
	go srv.Serve(ln)
	sub := p.Bus.SubscribeLossless(LosslessBuffer)
	var file bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- Record(context.Background(), sub, &file, NewHeader(up.URL, true), NewRedactor(nil)) }()
	live := call("http://"+ln.Addr().String()+"/mcp", "recorded-secret")
	srv.Close()
	tr.CloseIdleConnections()
	p.Drain(t.Context())
	sub.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(file.Bytes(), []byte("recorded-secret")) {
		t.Fatalf("the recording holds the password")
	}
	obs := readAll(t, file.Bytes())
	rs := httptest.NewServer(NewReplayer(obs, 0))
	defer rs.Close()
	defer rs.CloseClientConnections()
	if replayed := call(rs.URL+"/mcp", "another-secret"); replayed != live {
		t.Errorf("replayed %q, live %q", replayed, live)
	}
}
