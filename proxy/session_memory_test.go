package proxy_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/proxy/store"
)

// TestLargeInitializesAreNotKept: 30 sessions initialized with 20 MB of
// params leave the session store holding a few bytes each, not 600 MB for
// the sessions' lifetime; a small initialize is still kept (to re-run it
// after upstream loss), and the session with a large one says why it
// cannot be re-initialized.
func TestLargeInitializesAreNotKept(t *testing.T) {
	var n atomic.Int64
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Mcp-Session-Id", fmt.Sprintf("up-%d", n.Add(1)))
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"u","version":"1"}}}`)
	})
	mem := store.NewMemory(0)
	sessionsOnly := func(o *proxy.Observation) bool { return o.Type == proxy.TypeSession } // not the 20 MB messages
	hs := startProxyKeeping(t, startUpstream(t, up).URL, func(p *proxy.Proxy) { p.Store = mem }, sessionsOnly)
	initializeBody := func(pad int) string {
		return `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"},"pad":"` + strings.Repeat("x", pad) + `"}}`
	}
	initialize := func(pad int) string {
		body := initializeBody(pad)
		resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		sid := resp.Header.Get("Mcp-Session-Id")
		if resp.StatusCode != http.StatusOK || sid == "" {
			t.Fatalf("initialize: %s, session %q", resp.Status, sid)
		}
		return sid
	}
	retained := 0
	var large []string
	for range 30 {
		sid := initialize(20 << 20)
		large = append(large, sid)
		sess, err := mem.Get(context.Background(), sid)
		if err != nil {
			t.Fatal(err)
		}
		retained += len(sess.Initialize) + len(sess.ClientInfo) + len(sess.ProtocolVersion)
		if sess.ProtocolVersion != "2025-06-18" {
			t.Fatalf("session with protocol version %q, want it kept", sess.ProtocolVersion)
		}
	}
	if retained > 30*store.MaxInitialize {
		t.Fatalf("the store holds %d MiB of 30 initializes, want at most %d KiB each", retained>>20, store.MaxInitialize>>10)
	}
	if sess, _ := mem.Get(context.Background(), large[0]); sess.InitializeDropped != len(initializeBody(20<<20)) {
		t.Errorf("InitializeDropped = %d, want the initialize's size", sess.InitializeDropped)
	}
	small, err := mem.Get(context.Background(), initialize(100))
	if err != nil || !strings.Contains(small.Initialize, `"method":"initialize"`) || small.ClientInfo != `{"name":"c","version":"1"}` {
		t.Fatalf("a small initialize: kept %q, client info %q, %v; want both kept", small.Initialize, small.ClientInfo, err)
	}
	if len(hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Session == large[0] && o.Reason == "created" && o.Has(proxy.FlagInitializeNotKept) && o.Size == len(initializeBody(20<<20))
	})) == 0 {
		t.Errorf("no session observation %q flagged %s with the initialize's size", "created", proxy.FlagInitializeNotKept)
	}
	if small := hs.Seen.Matching(func(o *proxy.Observation) bool {
		return o.Type == proxy.TypeSession && o.Reason == "created" && !o.Has(proxy.FlagInitializeNotKept)
	}); len(small) != 1 {
		t.Errorf("%d plain %q session observations, want 1 (the small initialize)", len(small), "created")
	}
}
