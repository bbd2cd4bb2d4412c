package proxy_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"mcpscope/internal/mcpserver"
	"mcpscope/internal/mcptest"
	"mcpscope/proxy"
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
