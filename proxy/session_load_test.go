package proxy_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/proxy/store"
)

// TestManySessions runs 200 concurrent go-sdk sessions of 20 calls each
// through one proxy: no call may fail, and every proxy session must map to
// a distinct upstream session.
func TestManySessions(t *testing.T) {
	sessions, calls := 200, 20
	if testing.Short() {
		sessions = 40
	}
	up := mcptest.StartUpstream(t, mcpserver.StatefulJSON)
	hs := startProxyKeeping(t, up.URL, nil, func(*proxy.Observation) bool { return false })
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for i := range sessions {
		wg.Go(func() {
			cs, _ := mcptest.Connect(t, t.Context(), mcpserver.StatefulJSON, hs.URL+"/mcp",
				mcptest.ClientOptions{DisableStandaloneSSE: true, HTTPClient: &http.Client{Transport: tr}})
			for j := range calls {
				text := fmt.Sprintf("s%d-c%d", i, j)
				res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": text}})
				if err != nil {
					errs <- fmt.Errorf("session %d call %d: %w", i, j, err)
					return
				}
				if got := res.Content[0].(*mcp.TextContent).Text; got != text {
					errs <- fmt.Errorf("session %d call %d answered %q: crossed sessions", i, j, got)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]string{}
	for _, s := range hs.Proxy.Sessions() {
		if s.Upstream == "" {
			continue
		}
		if other, dup := seen[s.Upstream]; dup {
			t.Errorf("proxy sessions %s and %s share upstream session %s", other, s.ID, s.Upstream)
		}
		seen[s.Upstream] = s.ID
	}
	if len(seen) != sessions {
		t.Errorf("%d mapped sessions, want %d", len(seen), sessions)
	}
}

// TestStoreDown stops Redis under a running proxy: requests that need the
// store get a clear 503, nothing panics, and service comes back with Redis.
func TestStoreDown(t *testing.T) {
	mr := miniredis.RunT(t)
	rs, err := store.NewRedis("redis://"+mr.Addr()+"/0", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	up := mcptest.StartUpstream(t, mcpserver.StatefulJSON)
	hs := startProxy(t, up.URL, func(p *proxy.Proxy) { p.Store = rs })
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.StatefulJSON, hs.URL+"/mcp", mcptest.ClientOptions{DisableStandaloneSSE: true})
	session, version := cs.ID(), cs.InitializeResult().ProtocolVersion
	call := func() (int, string) {
		req, _ := http.NewRequest("POST", hs.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`))
		req.Header.Set("Mcp-Session-Id", session)
		req.Header.Set("MCP-Protocol-Version", version)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := hs.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := call(); status != 200 {
		t.Fatalf("with Redis up: %d %s", status, body)
	}
	mr.Close()
	if status, body := call(); status != http.StatusServiceUnavailable || !strings.Contains(body, "session store") {
		t.Errorf("with Redis down: %d %s; want 503 naming the session store", status, body)
	}
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, body := call()
		if status == 200 && strings.Contains(body, "hi") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after Redis came back: %d %s", status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
