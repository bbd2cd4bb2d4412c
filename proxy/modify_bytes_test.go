package proxy_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/rules"
)

// recordingUpstream answers every POST with answer (as JSON, or as one SSE event
// with CRLF line ends when sse) and records each request's headers and
// exact body bytes.
type recordingUpstream struct {
	mu      sync.Mutex
	bodies  []string
	headers []http.Header
	answer  func(body string) string
	sse     bool
}

func (u *recordingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	u.bodies, u.headers = append(u.bodies, string(b)), append(u.headers, r.Header.Clone())
	sse := u.sse
	u.mu.Unlock()
	answer := u.answer(string(b))
	if sse {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, ": hello\r\nevent: message\r\ndata: "+answer+"\r\n\r\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, answer)
}

func (u *recordingUpstream) last() (string, http.Header) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.bodies[len(u.bodies)-1], u.headers[len(u.headers)-1]
}

// post sends body to the proxy with headers h and returns what the client got.
func post(t *testing.T, hs *harness, body string, h map[string]string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := hs.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return string(got)
}

// TestModifyKeepsBytesAndBigIDs: a modify rule in each direction changes
// one value; every other byte of the request the upstream gets and of the
// answer the client gets is kept (the id 9007199254740993, which a float64
// would turn into ...992, big integers, key order, spaces; for an SSE
// answer the event's CRLF framing and comment too).
func TestModifyKeepsBytesAndBigIDs(t *testing.T) {
	request := `{"params": {"arguments": {"z": 12345678901234567890, "b": 1}, "name": "t"}, "id": 9007199254740993, "method": "tools/call", "jsonrpc": "2.0"}`
	answer := `{"result": {"big": 12345678901234567890, "content": [{"type": "text", "text": "x"}]}, "jsonrpc": "2.0", "id": 9007199254740993}`
	up := &recordingUpstream{answer: func(string) string { return answer }}
	hs := through(t, up, withRules(t, `
- name: edit request
  match: dir:client method:tools/call
  action: modify
  set: {params.arguments.b: 2}
- name: edit answer
  match: dir:server
  action: modify
  set: {result.content.0.text: edited}
`))
	wantUp := strings.Replace(request, `"b": 1`, `"b": 2`, 1)
	wantAnswer := strings.Replace(answer, `"text": "x"`, `"text": "edited"`, 1)
	for _, sse := range []bool{false, true} {
		up.mu.Lock()
		up.sse = sse
		up.mu.Unlock()
		got := post(t, hs, request, nil)
		if body, _ := up.last(); body != wantUp {
			t.Errorf("sse=%v: the upstream got\n %s\nwant\n %s", sse, body, wantUp)
		}
		want := wantAnswer
		if sse {
			want = ": hello\r\nevent: message\r\ndata: " + wantAnswer + "\r\n\r\n"
		}
		if got != want {
			t.Errorf("sse=%v: the client got\n %q\nwant\n %q", sse, got, want)
		}
	}
}

// TestModifyHeadersByteLevel: for a 2026-07-28 request (it carries
// Mcp-Method) that a rule edited, the headers mirroring the body are
// recomputed as the specification encodes them (streamable HTTP § Value
// Encoding): plain ASCII as is, base64 in the =?base64?…?= sentinel for
// non-ASCII, leading or trailing blanks and sentinel look-alikes, integers
// in decimal, booleans as true/false; a null or absent argument (or one no
// header can carry) removes its header. The bindings come from a tools/list
// result the proxy forwarded. A tool whose tools/list it did not see keeps
// the client's Mcp-Param-* headers and the decision says they may be stale;
// a request without Mcp-Method (2025) keeps its headers as they were.
func TestModifyHeadersByteLevel(t *testing.T) {
	toolsList := `{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"t","inputSchema":{"type":"object","properties":{` +
		`"a":{"type":"string","x-mcp-header":"A"},"o":{"type":"object","properties":{"deep":{"type":"integer","x-mcp-header":"Deep"}}}}}}]}}`
	up := &recordingUpstream{answer: func(body string) string {
		if strings.Contains(body, `"tools/list"`) {
			return toolsList
		}
		return `{"jsonrpc":"2.0","id":2,"result":{"content":[]}}`
	}}
	hs := through(t, up, nil)
	modern := map[string]string{"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list"}
	post(t, hs, `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`, modern)

	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"t","arguments":{"a":"orig","o":{"deep":1}}}}`
	callHeaders := map[string]string{"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "t", "Mcp-Param-A": "orig", "Mcp-Param-Deep": "1"}
	cases := []struct {
		name, rule string
		want       map[string]string // header → value; "" means absent
	}{
		{"plain", `set: {params.arguments.a: "eu-west-1"}`, map[string]string{"Mcp-Param-A": "eu-west-1", "Mcp-Param-Deep": "1", "Mcp-Name": "t"}},
		{"non-ASCII", `set: {params.arguments.a: "日本"}`, map[string]string{"Mcp-Param-A": "=?base64?5pel5pys?="}},
		{"leading space", `set: {params.arguments.a: " x"}`, map[string]string{"Mcp-Param-A": "=?base64?IHg=?="}},
		{"trailing tab", `set: {params.arguments.a: "x\t"}`, map[string]string{"Mcp-Param-A": "=?base64?eAk=?="}},
		{"sentinel look-alike", `set: {params.arguments.a: "=?base64?abc?="}`, map[string]string{"Mcp-Param-A": "=?base64?PT9iYXNlNjQ/YWJjPz0=?="}},
		{"control character", `set: {params.arguments.a: "a\nb"}`, map[string]string{"Mcp-Param-A": "=?base64?YQpi?="}},
		{"integer", `set: {params.arguments.o.deep: -42}`, map[string]string{"Mcp-Param-Deep": "-42", "Mcp-Param-A": "orig"}},
		{"boolean", `set: {params.arguments.a: true}`, map[string]string{"Mcp-Param-A": "true"}},
		{"null removes", `set: {params.arguments.a: null}`, map[string]string{"Mcp-Param-A": "", "Mcp-Param-Deep": "1"}},
		{"absent removes", `delete: [params.arguments.o]`, map[string]string{"Mcp-Param-Deep": "", "Mcp-Param-A": "orig"}},
		{"unsafe integer removes", `set: {params.arguments.o.deep: 9007199254740993}`, map[string]string{"Mcp-Param-Deep": ""}},
		{"method and name", `set: {method: prompts/get, params.name: "gr ü"}`, map[string]string{"Mcp-Method": "prompts/get", "Mcp-Name": "gr ü", "Mcp-Param-A": ""}},
		{"resource uri", `set: {method: resources/read, params.uri: "file:///a"}`, map[string]string{"Mcp-Method": "resources/read", "Mcp-Name": "file:///a"}},
		{"name removed", `set: {method: tools/list}`, map[string]string{"Mcp-Method": "tools/list", "Mcp-Name": ""}},
	}
	for _, c := range cases {
		set, err := rules.Parse([]byte("- name: edit\n  match: method:tools/call\n  action: modify\n  "+c.rule+"\n"), "r.yaml")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		hs.Proxy.SetRules(set)
		post(t, hs, call, callHeaders)
		_, h := up.last()
		for k, v := range c.want {
			if got := h.Get(k); got != v || (v == "" && h.Values(k) != nil) {
				t.Errorf("%s: %s = %q, want %q (headers %v)", c.name, k, got, v, h)
			}
		}
	}

	// A tool whose tools/list the proxy did not see: its Mcp-Param-* stay
	// as the client sent them, and the decision says so.
	hs.Proxy.SetRules(mustParse(t, "- name: edit\n  match: method:tools/call\n  action: modify\n  set: {params.arguments.a: changed}\n"))
	unseen := strings.Replace(call, `"name":"t"`, `"name":"u"`, 1)
	post(t, hs, unseen, map[string]string{"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "u", "Mcp-Param-A": "orig"})
	if _, h := up.last(); h.Get("Mcp-Param-A") != "orig" || h.Get("Mcp-Name") != "u" {
		t.Errorf("unseen tool: headers %v", h)
	}
	notes := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Decision != nil && strings.Contains(o.Decision.Note, `Mcp-Param-* headers forwarded as the client sent them`) && strings.Contains(o.Decision.Note, `"u"`)
	})
	if len(notes) != 1 {
		t.Errorf("%d decisions note the stale headers, want 1", len(notes))
	}

	// A 2025 request (no Mcp-Method): nothing is added or changed.
	post(t, hs, call, map[string]string{"Mcp-Protocol-Version": "2025-11-25", "Mcp-Param-A": "orig"})
	if _, h := up.last(); h.Get("Mcp-Param-A") != "orig" || h.Values("Mcp-Name") != nil || h.Values("Mcp-Method") != nil {
		t.Errorf("2025 request: headers %v", h)
	}
}

func mustParse(t *testing.T, yaml string) *rules.Set {
	t.Helper()
	set, err := rules.Parse([]byte(yaml), "r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return set
}
