package control_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/control"
	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// POST /api/resend re-sends a request seen in /api/events' terms (session,
// body, seq): the go-sdk upstream gets it once more, exactly once, and the
// API answers with the upstream's answer, whose observation is linked to
// the re-sent request. A server's message is refused with a reason.
func TestResendOverAPI(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	u, _ := url.Parse(up.URL)
	p := proxy.New(u)
	tr := proxy.NewTransport(0)
	p.Transport = tr
	var mu sync.Mutex
	var seen []*proxy.Observation
	sub := p.Bus.Subscribe(1 << 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			batch, err := sub.Next(context.Background())
			if err != nil {
				return
			}
			mu.Lock()
			seen = append(seen, batch...)
			mu.Unlock()
		}
	}()
	find := func(keep func(*proxy.Observation) bool) *proxy.Observation {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			for _, o := range seen {
				if keep(o) {
					mu.Unlock()
					return o
				}
			}
			mu.Unlock()
		}
		t.Fatal("not observed")
		return nil
	}
	ps := httptest.NewServer(p)
	api := httptest.NewServer(&control.Server{Proxy: p, Token: token})
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		api.Close()
		ps.Close()
		tr.CloseIdleConnections()
		p.Bus.Close()
		<-done
	})
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, ps.URL+"/mcp", mcptest.ClientOptions{})
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "again"}}); err != nil {
		t.Fatal(err)
	}
	orig := find(func(o *proxy.Observation) bool { return o.Kind == proxy.KindRequest && o.Tool == "echo" })

	post := func(v any) (int, map[string]any) {
		b, _ := json.Marshal(v)
		req, _ := http.NewRequest("POST", api.URL+"/api/resend", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var out map[string]any
		json.Unmarshal(body, &out)
		return resp.StatusCode, out
	}
	status, out := post(map[string]any{"session": orig.Session, "body": orig.Body, "from": orig.Seq, "path": "/mcp"})
	if status != 200 || out["id"] != `"mcpscope-resend-1"` || !strings.Contains(out["answer"].(string), "again") {
		t.Fatalf("POST /api/resend: %d %v", status, out)
	}
	if n := up.Methods()["tools/call"]; n != 2 {
		t.Errorf("upstream saw %d tools/call, want 2", n)
	}
	req := find(func(o *proxy.Observation) bool {
		return o.Kind == proxy.KindRequest && string(o.ID) == `"mcpscope-resend-1"`
	})
	ans := find(func(o *proxy.Observation) bool {
		return o.Kind == proxy.KindResult && string(o.ID) == `"mcpscope-resend-1"`
	})
	if req.ResentFrom != orig.Seq || ans.RequestSeq != req.Seq || !ans.Has(proxy.FlagResent) {
		t.Errorf("request resent_from %d (want %d); answer linked to %d (want %d), flags %v", req.ResentFrom, orig.Seq, ans.RequestSeq, req.Seq, ans.Flags)
	}
	status, out = post(map[string]any{"session": orig.Session, "body": `{"jsonrpc":"2.0","id":1,"result":{}}`})
	if status != 400 || !strings.Contains(out["error"].(string), "only a client's request or notification") {
		t.Errorf("re-sending a result: %d %v, want 400 saying why", status, out)
	}
	if n := up.Methods()["tools/call"]; n != 2 {
		t.Errorf("upstream saw %d tools/call, want 2", n)
	}
}
