package proxy_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// TestShortClientRunsLeaveNoSessions: three go-sdk clients each connect,
// call a tool, close and drop their connections. Their sessions end
// (DELETE: "closed"), the initialize each sent before it had a session
// counts for the session it created, not for its client connection, and
// the rest of the sessionless traffic (the 2026-07-28 server/discover
// probe) ends with its connection. Nothing is left listed, and every
// listed row had its end said.
func TestShortClientRunsLeaveNoSessions(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	hs := startProxy(t, up.URL, nil)
	var ids []string
	for range 3 {
		tr := &http.Transport{}
		cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, hs.URL+"/mcp", mcptest.ClientOptions{HTTPClient: &http.Client{Transport: tr}})
		if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cs.ID())
		// Every sessionless row carries a request other than an initialize
		// (observations come through the bus: wait for them a while).

		onlyInitialize := func() []string {
			var rows []string
			for _, s := range hs.Proxy.Sessions() {
				if proxy.IsSessionless(s.ID) && len(hs.Seen.Matching(func(o *proxy.Observation) bool {
					return o.Session == s.ID && o.Type == proxy.TypeMessage && o.Kind == proxy.KindRequest && o.Method != "initialize"
				})) == 0 {
					rows = append(rows, s.ID)
				}
			}
			return rows
		}
		for deadline := time.Now().Add(5 * time.Second); len(onlyInitialize()) > 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("client connections listed as sessions for their initialize alone: %v (sessions %+v)", onlyInitialize(), hs.Proxy.Sessions())
			}
		}
		cs.Close()
		tr.CloseIdleConnections()
	}
	for deadline := time.Now().Add(5 * time.Second); len(hs.Proxy.Sessions()) > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("sessions still listed after every client closed: %+v", hs.Proxy.Sessions())
		}
	}
	ended := hs.Seen.Matching(func(o *proxy.Observation) bool { return o.EndsSession() })
	var closed, sessionless int
	for _, o := range ended {
		switch {
		case slices.Contains(ids, o.Session) && o.Reason == "closed":
			closed++
		case proxy.IsSessionless(o.Session) && o.Reason == proxy.SessionlessEnded:
			sessionless++
		default:
			t.Errorf("unexpected end: %s %q", o.Session, o.Reason)
		}
	}
	if closed != 3 {
		t.Errorf("%d sessions said closed, want 3", closed)
	}
	if sessionless == 0 {
		t.Error("the sessionless traffic's connections (server/discover) never said they ended")
	}
	if strings.Contains(strings.Join(ids, ""), "conn-") {
		t.Errorf("a client got a connection scope as its session: %v", ids)
	}
}

// TestSessionLostUpstreamEnds: the upstream answers 404 for a session it
// no longer knows and refuses to initialize it again. The client gets the
// 404; the proxy says the session ended (lost by the upstream, with why it
// was not re-initialized) and no longer lists it.
func TestSessionLostUpstreamEnds(t *testing.T) {
	var initializeCount atomic.Int64
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.Header.Get("Mcp-Session-Id") != "":
			http.Error(w, "no such session", http.StatusNotFound)
		case initializeCount.Add(1) == 1:
			w.Header().Set("Mcp-Session-Id", "up-1")
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"u","version":"1"}}}`)
		default:
			http.Error(w, "no more sessions: "+string(body[:min(len(body), 20)]), http.StatusInternalServerError)
		}
	})
	hs := startProxy(t, startUpstream(t, up).URL, nil)
	post := func(session, body string) *http.Response {
		req, _ := http.NewRequest("POST", hs.URL+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		resp, err := hs.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	sid := post("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`).Header.Get("Mcp-Session-Id")
	if sid == "" {
		t.Fatal("no session")
	}
	if resp := post(sid, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a request on the lost session: %s, want the upstream's 404", resp.Status)
	}
	ended := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool { return o.Session == sid && o.EndsSession() })
	if len(ended) != 1 || !strings.HasPrefix(ended[0].Reason, "lost by the upstream (404) and not re-initialized: ") {
		t.Fatalf("the session's end: %+v", ended)
	}
	for _, s := range hs.Proxy.Sessions() {
		if s.ID == sid {
			t.Errorf("the lost session is still listed: %+v", s)
		}
	}
}
