package proxy_test

import (
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/proxy/store"
)

// TestDualSessionIDs checks that the client only sees proxy session ids
// and the upstream only its own, on POST, GET and DELETE, and for the
// legacy transport's sessionid parameter.
func TestDualSessionIDs(t *testing.T) {
	for _, kind := range []mcpserver.Kind{mcpserver.Stateful, mcpserver.LegacySSE} {
		t.Run(string(kind), func(t *testing.T) {
			up := mcptest.StartUpstream(t, kind)
			hs := startProxy(t, up.URL, nil)
			cs, rec := mcptest.Connect(t, t.Context(), kind, hs.URL+kind.Path(), mcptest.ClientOptions{})
			if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "notify_later", Arguments: map[string]any{"delay_ms": 10}}); err != nil {
				t.Fatal(err)
			}
			if _, err := rec.Wait(mcptest.MethodToolListChanged, 1, 5e9); err != nil {
				t.Fatal(err) // the GET (or legacy) stream works under the proxy's id
			}
			sessions := hs.Proxy.Sessions()
			var proxyID, upstreamID string
			for _, s := range sessions {
				if s.Upstream != "" {
					proxyID, upstreamID = s.ID, s.Upstream
				}
			}
			if kind == mcpserver.Stateful {
				for ss := range up.Server.Sessions() {
					if ss.ID() != upstreamID {
						t.Errorf("proxy maps %s → %s; the upstream's session is %s", proxyID, upstreamID, ss.ID())
					}
				}
			}
			if proxyID == "" || len(proxyID) != 32 {
				t.Fatalf("no mapped proxy session (sessions %+v)", sessions)
			}
			if kind == mcpserver.Stateful && cs.ID() != proxyID {
				t.Errorf("the client's session id is %q, want the proxy's %q", cs.ID(), proxyID)
			}
			cs.Close()
			for _, r := range up.Requests() {
				if r.Session == proxyID || strings.Contains(r.Body, proxyID) {
					t.Errorf("the upstream saw the proxy's session id on %s", r.Method)
				}
				if r.Session != "" && r.Session != upstreamID {
					t.Errorf("the upstream saw session %q on %s, not its own", r.Session, r.Method)
				}
			}
			if kind == mcpserver.Stateful {
				if up.HTTPCount("DELETE") != 1 {
					t.Errorf("DELETE did not reach the upstream")
				}
				waitFor(t, func() bool {
					for _, s := range hs.Proxy.Sessions() {
						if s.ID == proxyID {
							return false
						}
					}
					return len(hs.Seen.Matching(func(o *proxy.Observation) bool { return o.Type == proxy.TypeSession && o.Reason == "closed" })) == 1
				})
			}
		})
	}
}

// postOnSession posts a tools/list naming session and returns the status
// and the error message of the answer.
func postOnSession(t *testing.T, hs *harness, session string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", hs.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := hs.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		return resp.StatusCode, ""
	}
	_, msg := rpcError(t, resp)
	return resp.StatusCode, msg
}

// TestUnknownSessionIs404 names a session the proxy never issued, twice:
// both answers say it is unknown, never that it expired (the first request
// once left the id behind, and the second was told it had expired).
func TestUnknownSessionIs404(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	hs := startProxy(t, up.URL, nil)
	for i := range 2 {
		status, msg := postOnSession(t, hs, "0123456789abcdef0123456789abcdef")
		if status != http.StatusNotFound || len(up.Requests()) != 0 {
			t.Errorf("unknown session: status %d, %d requests reached the upstream; want 404 and none", status, len(up.Requests()))
		}
		if !strings.Contains(msg, "unknown session") || !strings.Contains(msg, "never saw it alive") || strings.Contains(msg, "expired") {
			t.Errorf("request %d on a never-issued session: %q; want it called unknown, not expired", i+1, msg)
		}
	}
	told := hs.Seen.Await(t, 2, func(o *proxy.Observation) bool { return o.Type == proxy.TypeSession })
	for _, o := range told {
		if !strings.HasPrefix(o.Reason, "unknown") {
			t.Errorf("session observation %q; want it unknown", o.Reason)
		}
	}
	if n := len(hs.Proxy.Sessions()); n != 0 {
		t.Errorf("the never-issued id is listed among %d sessions", n)
	}
}

// TestClosedSessionIs404 deletes a session and names it again: the 404
// says it was closed.
func TestClosedSessionIs404(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	hs := startProxy(t, up.URL, nil)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, hs.URL+"/mcp", mcptest.ClientOptions{DisableStandaloneSSE: true})
	id := cs.ID()
	cs.Close()
	hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Type == proxy.TypeSession && o.Reason == "closed" })
	if status, msg := postOnSession(t, hs, id); status != http.StatusNotFound || !strings.Contains(msg, "was closed") {
		t.Errorf("a request on the closed session got %d %q; want 404 saying it was closed", status, msg)
	}
}

// TestUpstreamRestart restarts the upstream (fresh sessions): the client's
// next call through mcpscope succeeds on the same proxy session.
func TestUpstreamRestart(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	hs := startProxy(t, up.URL, nil)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, hs.URL+"/mcp", mcptest.ClientOptions{DisableStandaloneSSE: true})
	before := cs.ID()
	echo := func(text string) string {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": text}})
		if err != nil {
			t.Fatalf("echo %q: %v", text, err)
		}
		return res.Content[0].(*mcp.TextContent).Text
	}
	echo("before")
	up.Restart()
	if got := echo("after"); got != "after" {
		t.Errorf("after the restart echo = %q", got)
	}
	if cs.ID() != before {
		t.Errorf("the client's session changed from %s to %s", before, cs.ID())
	}
	reinit := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Type == proxy.TypeSession && strings.HasPrefix(o.Reason, "re-initialized")
	})
	if len(reinit) != 1 || reinit[0].Session != before {
		t.Errorf("re-initialization observations: %v", reinit)
	}
	if n := up.Methods()["initialize"]; n != 2 {
		t.Errorf("upstream saw %d initialize, want the client's and mcpscope's repeat", n)
	}
}

// TestConnectionReuse makes 1000 sequential calls and counts the
// connections the upstream accepted.
func TestConnectionReuse(t *testing.T) {
	var accepted atomic.Int64
	up := mcptest.StartUpstream(t, mcpserver.StatefulJSON)
	hs := startProxy(t, up.URL, nil)
	up.OnConnState(func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			accepted.Add(1)
		}
	})
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.StatefulJSON, hs.URL+"/mcp", mcptest.ClientOptions{DisableStandaloneSSE: true})
	for i := range 1000 {
		if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := accepted.Load(); n > 4 {
		t.Errorf("1000 calls opened %d upstream connections, want a handful", n)
	}
}

// TestExpiredSessionServedByAnotherInstance: two proxies share a store
// (as instances sharing Redis do, or one restarted): a session created
// through the first and served by the second is, once it expires, called
// expired by the second too. The second once said it had never issued it.
func TestExpiredSessionServedByAnotherInstance(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	shared := store.NewMemory(200 * time.Millisecond)
	withShared := func(p *proxy.Proxy) { p.Store = shared }
	first, second := startProxy(t, up.URL, withShared), startProxy(t, up.URL, withShared)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, first.URL+"/mcp", mcptest.ClientOptions{DisableStandaloneSSE: true})
	if status, _ := postOnSession(t, second, cs.ID()); status != http.StatusOK {
		t.Fatalf("the second instance served the shared session with %d, want 200", status)
	}
	time.Sleep(500 * time.Millisecond)
	if status, msg := postOnSession(t, second, cs.ID()); status != http.StatusNotFound || !strings.Contains(msg, "expired") {
		t.Errorf("the second instance answered the expired session %d %q, want 404 saying it expired", status, msg)
	}
}

// TestExpiredSessionIsATransition: a session idle past the store's TTL is
// gone; the next request naming it gets 404 and the bus says it expired.
func TestExpiredSessionIsATransition(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	hs := startProxy(t, up.URL, func(p *proxy.Proxy) { p.Store = store.NewMemory(100 * time.Millisecond) })
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, hs.URL+"/mcp", mcptest.ClientOptions{DisableStandaloneSSE: true})
	time.Sleep(300 * time.Millisecond)
	for i := range 2 { // the second time too: the proxy remembers how it ended
		if status, msg := postOnSession(t, hs, cs.ID()); status != http.StatusNotFound || !strings.Contains(msg, "expired") {
			t.Fatalf("request %d on the expired session got %d %q, want 404 saying it expired", i+1, status, msg)
		}
	}
	expired := hs.Seen.Await(t, 2, func(o *proxy.Observation) bool {
		return o.Type == proxy.TypeSession && strings.HasPrefix(o.Reason, "expired")
	})
	if len(expired) != 2 || expired[0].Session != cs.ID() {
		t.Errorf("expiry observations: %v", expired)
	}
}
