package record

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// sessionIDTap records the Mcp-Session-Id of every response a client got.
type sessionIDTap struct {
	next http.RoundTripper
	ids  chan string
}

func (s *sessionIDTap) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err == nil && resp.Header.Get("Mcp-Session-Id") != "" {
		select {
		case s.ids <- resp.Header.Get("Mcp-Session-Id"):
		default:
		}
	}
	return resp, err
}

// script2026 runs calls on 2026-07-28 against endpoint and returns what the
// client got, and whether any response carried a session id.
func script2026(t *testing.T, endpoint string) ([]string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	tap := &sessionIDTap{next: tr, ids: make(chan string, 1)}
	cs, rec := mcptest.Connect(t, ctx, mcpserver.Stateless, endpoint, mcptest.ClientOptions{
		ProtocolVersion: mcptest.SessionlessVersion, HTTPClient: &http.Client{Transport: tap},
	})
	defer cs.Close()
	var got []string
	got = append(got, cs.InitializeResult().ProtocolVersion, cs.InitializeResult().ServerInfo.Name)
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 3, "interval_ms": 5}}
	p.SetProgressToken("tok")
	for _, p := range []*mcp.CallToolParams{{Name: "echo", Arguments: map[string]any{"text": "hi"}}, p} {
		res, err := cs.CallTool(ctx, p)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		got = append(got, res.Content[0].(*mcp.TextContent).Text)
	}
	evs, err := rec.WaitProgress(3, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, strings.Repeat("p", len(evs)))
	res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: mcpserver.GreetingURI})
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, res.Contents[0].Text)
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, fmt.Sprintf("%d tools, cacheScope %s, resultType %s", len(tools.Tools), tools.CacheScope, tools.ResultType))
	select {
	case id := <-tap.ids:
		t.Logf("a response carried session id %q", id)
		return got, true
	default:
		return got, false
	}
}

// TestChecklist2026ReplayServesRecordedSession: a 2026-07-28 session
// recorded through mcpscope replays to a go-sdk client on 2026-07-28 with
// the same results; replay issues no session id, answers a request it has
// no record of 404 with -32601 (its code's status on that revision), and
// GET with 405.
func TestChecklist2026ReplayServesRecordedSession(t *testing.T) {
	var live []string
	var liveSession bool
	obs := recordWith(t, mcpserver.Stateless, func(endpoint string, _ *mcptest.Upstream) { live, liveSession = script2026(t, endpoint) })
	if liveSession {
		t.Fatal("the live 2026-07-28 session carried a session id")
	}
	entries := Exporter{}.HAR(obs).Log.Entries
	if len(entries) == 0 {
		t.Fatal("the recording exports no HAR entries")
	}
	for _, e := range entries {
		if e.Revision != mcptest.SessionlessVersion {
			t.Errorf("HAR entry %s %s: revision %q, want %s", e.Request.Method, e.Exchange, e.Revision, mcptest.SessionlessVersion)
		}
	}
	srv := httptest.NewServer(NewReplayer(obs, 0))
	defer srv.Close()
	defer srv.CloseClientConnections()
	replayed, replaySession := script2026(t, srv.URL+"/mcp")
	if strings.Join(replayed, "|") != strings.Join(live, "|") {
		t.Errorf("results differ:\nlive     %q\nreplayed %q", live, replayed)
	}
	t.Logf("live and replayed: %q", live)
	if replaySession {
		t.Error("replay issued a session id on 2026-07-28")
	}

	send := func(method, body string) (*http.Response, string) {
		req, _ := http.NewRequest(method, srv.URL+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", mcptest.SessionlessVersion)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var answer struct{ Error struct{ Code int } }
		json.NewDecoder(resp.Body).Decode(&answer)
		return resp, fmt.Sprint(answer.Error.Code)
	}
	defer http.DefaultClient.CloseIdleConnections()
	resp, code := send(http.MethodPost, `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"never said"}}}`)
	if resp.StatusCode != http.StatusNotFound || code != "-32601" || resp.Header.Get("Mcp-Session-Id") != "" {
		t.Errorf("unmatched 2026-07-28 request: %d code %s session %q, want 404 -32601 and none", resp.StatusCode, code, resp.Header.Get("Mcp-Session-Id"))
	}
	if resp, _ := send(http.MethodGet, ""); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
		t.Errorf("GET on 2026-07-28: %d Allow %q, want 405 POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
}
