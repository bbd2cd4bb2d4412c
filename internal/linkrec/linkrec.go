// Package linkrec makes recordings of stdio sessions for tests: a real
// go-sdk client and the go-sdk demo server talk over in-process pipes,
// every line relayed through a proxy.Link as wrap relays a stdio server's,
// and the bus is recorded as --record records it.
package linkrec

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// Record runs a go-sdk client against the go-sdk demo server over
// in-process pipes, every line relayed through a proxy.Link named name (as
// wrap relays a stdio server's lines), records the bus as --record does,
// and returns the recording read back. version is the protocol the client
// asks for ("" for the go-sdk's default).
func Record(t testing.TB, name, version string, client func(ctx context.Context, cs *mcp.ClientSession)) []*proxy.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p := proxy.New(&url.URL{Scheme: "http", Host: "127.0.0.1:1"})
	sub := p.Bus.SubscribeLossless(record.LosslessBuffer)
	var file bytes.Buffer
	recorded := make(chan error, 1)
	go func() {
		recorded <- record.Record(context.Background(), sub, &file, record.NewHeader("", true), record.NewRedactor(nil))
	}()

	l := p.OpenLink(proxy.LinkInfo{Name: name})
	fromClient, clientOut := io.Pipe()
	clientIn, toClient := io.Pipe()
	fromServer, serverOut := io.Pipe()
	serverIn, toServer := io.Pipe()
	var toClientMu, toServerMu sync.Mutex
	send := func(mu *sync.Mutex, w io.Writer, line []byte) {
		mu.Lock()
		defer mu.Unlock()
		w.Write(append(line, '\n'))
	}
	relay := func(dir proxy.Direction, from io.Reader, on io.WriteCloser, onMu *sync.Mutex, back io.Writer, backMu *sync.Mutex) {
		defer on.Close()
		sc := bufio.NewScanner(from)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			v, err := l.Pass(ctx, dir, sc.Bytes())
			if err != nil {
				return
			}
			if v.Forward != nil {
				send(onMu, on, v.Forward)
			}
			if v.Back != nil {
				send(backMu, back, v.Back)
			}
		}
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		relay(proxy.ClientToServer, fromClient, toServer, &toServerMu, toClient, &toClientMu)
	}()
	go func() {
		defer wg.Done()
		relay(proxy.ServerToClient, fromServer, toClient, &toClientMu, toServer, &toServerMu)
	}()
	server := mcpserver.New(mcpserver.Options{Stop: ctx})
	go func() {
		defer wg.Done()
		server.Run(ctx, &mcp.IOTransport{Reader: serverIn, Writer: serverOut})
		serverOut.Close()
	}()
	c := Client(nil)
	cs, err := c.Connect(ctx, &mcp.IOTransport{Reader: clientIn, Writer: clientOut}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connecting through the link: %v", err)
	}
	client(ctx, cs)
	cs.Close()
	clientOut.Close()
	wg.Wait()
	l.Close("client closed stdin")
	p.Bus.Close()
	if err := <-recorded; err != nil {
		t.Fatal(err)
	}
	var obs []*proxy.Observation
	if err := record.Read(&file, func(o *record.Observation) error { obs = append(obs, o); return nil }); err != nil {
		t.Fatal(err)
	}
	return obs
}

// Script is what the stdio tests do and compare: tools/list (the tool
// names, sorted as listed), an echo, a tool sending 3 progress
// notifications (token "tok"), and a sampling round trip; it returns what
// the client saw, one string per call.
func Script(t testing.TB, ctx context.Context, cs *mcp.ClientSession) []string {
	t.Helper()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	out := []string{strings.Join(names, ",")}
	for _, p := range []*mcp.CallToolParams{
		{Name: "echo", Arguments: map[string]any{"text": "one"}},
		{Name: "progress", Arguments: map[string]any{"count": 3, "interval_ms": 10}, Meta: mcp.Meta{"progressToken": "tok"}},
		{Name: "sample", Arguments: map[string]any{"prompt": "why?"}},
	} {
		res, err := cs.CallTool(ctx, p)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		text := ""
		if len(res.Content) > 0 {
			if tc, ok := res.Content[0].(*mcp.TextContent); ok {
				text = tc.Text
			}
		}
		out = append(out, p.Name+": "+text)
	}
	return out
}

// Client is a go-sdk client that answers sampling requests with
// mcptest.SampleReply and counts the progress notifications it gets.
func Client(progress *atomic.Int64) *mcp.Client {
	return mcp.NewClient(&mcp.Implementation{Name: "stdio-test-client", Version: "0.1.0"}, &mcp.ClientOptions{
		CreateMessageHandler: func(_ context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			prompt := ""
			if n := len(req.Params.Messages); n > 0 {
				if tc, ok := req.Params.Messages[n-1].Content.(*mcp.TextContent); ok {
					prompt = tc.Text
				}
			}
			return &mcp.CreateMessageResult{Model: "test", Role: "assistant", Content: &mcp.TextContent{Text: mcptest.SampleReply(prompt)}}, nil
		},
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) {
			if progress != nil {
				progress.Add(1)
			}
		},
	})
}
