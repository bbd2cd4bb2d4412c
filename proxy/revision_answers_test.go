package proxy_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// mockRules mock echo (a request answered in the server's place) and
// resources/list's answer (a server answer replaced).
const mockRules = `
- name: mock echo
  match: tool:echo
  action: mock
  result: {content: [{type: text, text: mocked}]}
- name: mock list
  match: dir:server method:resources/list
  action: mock
  result: {resources: []}
`

// mockedAnswers returns the answers the mock rules made, as the client got
// them: echo's (answered locally) and resources/list's (replaced).
func mockedAnswers(t *testing.T, seen *observed) (echo, list string) {
	t.Helper()
	local := seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Type == proxy.TypeMessage && o.Direction == proxy.ServerToClient && o.Method == "tools/call" && strings.Contains(o.Body, "mocked")
	})
	replaced := seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Decision != nil && o.Decision.Action == "mock" && o.Method == "resources/list"
	})
	if len(local) != 1 || len(replaced) != 1 {
		t.Fatalf("saw %d mocked echo answers and %d replaced list answers, want 1 and 1", len(local), len(replaced))
	}
	return local[0].Body, replaced[0].Decision.After
}

// useMocks calls echo and lists resources, both mocked, and returns the
// echo text and the list's cache fields as the client decoded them.
func useMocks(t *testing.T, cs *mcp.ClientSession) (string, *mcp.ListResourcesResult) {
	t.Helper()
	text := call(t, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}})
	res, err := cs.ListResources(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return text, res
}

// TestChecklist2026MockHasResultType: on 2026-07-28 a mock answer carries
// "resultType":"complete", and a mocked result of a cacheable method
// carries ttlMs and cacheScope (0, "private": never cached, never shared),
// whether the mock answers a request or replaces the server's answer.
func TestChecklist2026MockHasResultType(t *testing.T) {
	rig := startRevisionRig(t, "mcpscope", mcptest.SessionlessVersion, withRules(t, mockRules), nil)
	text, list := useMocks(t, rig.cs)
	if text != "mocked" || len(list.Resources) != 0 {
		t.Fatalf("the mocks did not answer: echo %q, %d resources", text, len(list.Resources))
	}
	if list.CacheScope != "private" || list.TTLMs != 0 {
		t.Errorf("mocked resources/list: cacheScope %q ttlMs %d, want private 0", list.CacheScope, list.TTLMs)
	}
	echo, listed := mockedAnswers(t, rig.hs.Seen)
	var e struct {
		Result map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(echo), &e); err != nil || string(e.Result["resultType"]) != `"complete"` {
		t.Errorf("mocked echo answer %s: no resultType complete", echo)
	}
	if _, ok := e.Result["ttlMs"]; ok {
		t.Errorf("mocked echo answer %s: ttlMs on a method that is not cacheable", echo)
	}
	if !strings.Contains(listed, `"resultType":"complete"`) || !strings.Contains(listed, `"ttlMs":0`) {
		t.Errorf("replaced resources/list answer %s lacks resultType or ttlMs", listed)
	}
	if !strings.Contains(rig.tap.received(), `"resultType":"complete","ttlMs":0,"cacheScope":"private"`) {
		t.Error("the client did not receive the completed mock answer")
	}
}

// TestChecklist20251125MockUnchanged: on 2025-11-25 the same mocks answer
// exactly the rule's result, with nothing added.
func TestChecklist20251125MockUnchanged(t *testing.T) {
	rig := startRevisionRig(t, "mcpscope", "2025-11-25", withRules(t, mockRules), nil)
	text, list := useMocks(t, rig.cs)
	if text != "mocked" || len(list.Resources) != 0 {
		t.Fatalf("the mocks did not answer: echo %q, %d resources", text, len(list.Resources))
	}
	echo, listed := mockedAnswers(t, rig.hs.Seen)
	var e, l struct {
		ID     json.RawMessage
		Result json.RawMessage
	}
	if json.Unmarshal([]byte(echo), &e) != nil || json.Unmarshal([]byte(listed), &l) != nil {
		t.Fatalf("mock answers are not JSON: %s %s", echo, listed)
	}
	if string(e.Result) != `{"content":[{"text":"mocked","type":"text"}]}` {
		t.Errorf("mocked echo result %s, want the rule's exactly", e.Result)
	}
	if string(l.Result) != `{"resources":[]}` {
		t.Errorf("replaced resources/list result %s, want the rule's exactly", l.Result)
	}
}

// blockRules block tools with each error code 2026-07-28 gives a status,
// one with none, one with a code of its own and one with a status.
const blockRules = `
- {name: nf, match: tool:nf, action: block, error: {code: -32601, message: nf}}
- {name: params, match: tool:params, action: block, error: {code: -32602, message: params}}
- {name: header, match: tool:header, action: block, error: {code: -32020, message: header}}
- {name: capability, match: tool:capability, action: block, error: {code: -32021, message: capability}}
- {name: version, match: tool:version, action: block, error: {code: -32022, message: version}}
- {name: own, match: tool:own, action: block, error: {code: -32042, message: own}}
- {name: plain, match: tool:plain, action: block}
- {name: status, match: tool:status, action: block, status: 503}
`

// postTool posts a tools/call of name stating revision in the header (or,
// with meta, only in _meta) and returns the status and the error code.
func postTool(t *testing.T, hs *harness, name, revision string, meta bool) (int, int) {
	t.Helper()
	params := `{"name":"` + name + `","arguments":{}}`
	if meta {
		params = `{"name":"` + name + `","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"` + revision + `"}}`
	}
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":`+params+`}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if !meta {
		req.Header.Set("Mcp-Protocol-Version", revision)
	}
	resp, err := hs.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		ID    int
		Error struct{ Code int }
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || answer.ID != 9 {
		t.Fatalf("%s on %s: answer not a JSON-RPC error for id 9 (%v)", name, revision, err)
	}
	return resp.StatusCode, answer.Error.Code
}

// TestChecklist2026BlockStatusByCode: on 2026-07-28 a block answers with
// the HTTP status its error code implies (404 for -32601; 400 for -32602,
// -32020, -32021, -32022; else 200) unless the rule sets one, and without
// an error in the rule with -31001, outside the legacy range; on
// 2025-11-25 every block answers 200 (or the rule's status) and -32001 by
// default. A go-sdk client on 2026-07-28 reads the 404 answer's error.
func TestChecklist2026BlockStatusByCode(t *testing.T) {
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a blocked request reached the upstream")
	}), withRules(t, blockRules))
	cases := []struct {
		tool            string
		code            int
		status2026      int
		status2025, def int
	}{
		{"nf", -32601, 404, 200, 0},
		{"params", -32602, 400, 200, 0},
		{"header", -32020, 400, 200, 0},
		{"capability", -32021, 400, 200, 0},
		{"version", -32022, 400, 200, 0},
		{"own", -32042, 200, 200, 0},
		{"plain", -31001, 200, 200, -32001},
		{"status", -31001, 503, 503, -32001},
	}
	for _, c := range cases {
		for _, meta := range []bool{false, true} {
			if status, code := postTool(t, hs, c.tool, mcptest.SessionlessVersion, meta); status != c.status2026 || code != c.code {
				t.Errorf("%s on 2026-07-28 (in _meta only: %v): %d %d, want %d %d", c.tool, meta, status, code, c.status2026, c.code)
			}
		}
		want := c.code
		if c.def != 0 {
			want = c.def
		}
		if status, code := postTool(t, hs, c.tool, "2025-11-25", false); status != c.status2025 || code != want {
			t.Errorf("%s on 2025-11-25: %d %d, want %d %d", c.tool, status, code, c.status2025, want)
		}
	}

	rig := startRevisionRig(t, "mcpscope", mcptest.SessionlessVersion, withRules(t, `
- {name: nf, match: tool:echo, action: block, error: {code: -32601, message: "no echo"}}
`), nil)
	_, err := rig.cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
	var rpcErr *jsonrpc.Error
	if !errors.As(err, &rpcErr) || rpcErr.Code != -32601 {
		t.Errorf("a go-sdk client on 2026-07-28 got %v, want the rule's -32601", err)
	}
}

// lossyUpstream is a byte-level 2025 upstream: initialize creates session
// "u1"; once lost is set, any other request naming it gets 404 (as after a
// restart). It records the initializes and the session ids it got.
type lossyUpstream struct {
	mu    sync.Mutex
	lost  bool
	inits int
	sids  []string
}

func (u *lossyUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	defer u.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if strings.Contains(string(body), `"initialize"`) {
		u.inits++
		w.Header().Set("Mcp-Session-Id", "u1")
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"lossy","version":"1"}}}`)
		return
	}
	u.sids = append(u.sids, r.Header.Get("Mcp-Session-Id"))
	if u.lost {
		u.lost = false // the re-initialize finds it again
		http.Error(w, "session not found", http.StatusNotFound)
		return
	}
	io.WriteString(w, `{"jsonrpc":"2.0","id":2,"result":{"tools":[]}}`)
}

// TestChecklist2026NoReinitialize: a 2026-07-28 request has no session:
// one naming a proxy session whose upstream session was lost is forwarded
// with that id as it is (the upstream ignores it), never mapped, and
// mcpscope does not re-initialize for it, as it does for a 2025-11-25
// request; an id mcpscope does not know is not answered 404 either.
func TestChecklist2026NoReinitialize(t *testing.T) {
	up := &lossyUpstream{}
	hs := through(t, up, nil)
	post := func(sid, revision, body string) int {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if sid != "" {
			req.Header.Set("Mcp-Session-Id", sid)
		}
		req.Header.Set("Mcp-Protocol-Version", revision)
		resp, err := hs.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if sid == "" {
			return 0
		}
		return resp.StatusCode
	}
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := hs.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	proxyID := resp.Header.Get("Mcp-Session-Id")
	if proxyID == "" || proxyID == "u1" {
		t.Fatalf("initialize got session %q, want a proxy session id", proxyID)
	}
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`

	up.mu.Lock()
	up.lost = true
	up.mu.Unlock()
	if status := post(proxyID, mcptest.SessionlessVersion, list); status != http.StatusNotFound {
		t.Errorf("2026-07-28 request: %d, want the upstream's own 404", status)
	}
	up.mu.Lock()
	inits, sids := up.inits, append([]string(nil), up.sids...)
	up.lost = true
	up.mu.Unlock()
	if inits != 1 || len(sids) != 1 || sids[0] != proxyID {
		t.Fatalf("after a 2026-07-28 request: %d initializes, session ids upstream %v; want 1 and the client's own %q", inits, sids, proxyID)
	}

	if status := post(proxyID, "2025-11-25", list); status != http.StatusOK {
		t.Errorf("2025-11-25 request on a lost session: %d, want 200 after re-initializing", status)
	}
	up.mu.Lock()
	inits = up.inits
	up.mu.Unlock()
	if inits != 2 {
		t.Errorf("a 2025-11-25 request on a lost session: %d initializes, want 2 (the control case)", inits)
	}

	if status := post("not-a-session", mcptest.SessionlessVersion, list); status != http.StatusOK {
		t.Errorf("2026-07-28 request with an unknown session id: %d, want it forwarded (200)", status)
	}
	if status := post("not-a-session", "2025-11-25", list); status != http.StatusNotFound {
		t.Errorf("2025-11-25 request with an unknown session id: %d, want mcpscope's 404", status)
	}
}
