package cluster_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/cluster"
	"github.com/mcpscope/mcpscope/control"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/proxy/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const token = "s3cret"

// upstream is a byte-level MCP server: a POST (initialize) is answered
// with a session id, a GET opens an endless SSE stream, one numbered event
// every 5 ms.
func upstream(t *testing.T) *url.URL {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Mcp-Session-Id", "up-1")
			io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"up","version":"1"}}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; ; i++ {
			fmt.Fprintf(w, "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"n\":%d}}\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}))
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL + "/mcp")
	return u
}

// instance is one mcpscope: a proxy on the shared Redis, its peers and its
// control API.
type instance struct {
	id, proxy, api string
	p              *proxy.Proxy
	peers          *cluster.Peers
	client         *http.Client
}

func startInstance(t *testing.T, id, redisAddr string, up *url.URL, edit ...func(*cluster.Options)) *instance {
	t.Helper()
	st, err := store.NewRedis("redis://"+redisAddr+"/0", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	p := proxy.New(up)
	tr := proxy.NewTransport(0)
	p.Transport, p.Store = tr, st
	opts := cluster.Options{ID: id, Timeout: time.Second, Heartbeat: 200 * time.Millisecond}
	for _, e := range edit {
		e(&opts)
	}
	peers, err := cluster.Start(st.Client(), p, opts)
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(p)
	api := httptest.NewServer(&control.Server{Proxy: p, Token: token, Peers: peers})
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		api.Close()
		ps.Close()
		peers.Close()
		tr.CloseIdleConnections()
		p.Bus.Close()
		st.Close()
	})
	return &instance{id: id, proxy: ps.URL, api: api.URL, p: p, peers: peers, client: client}
}

// call makes a control API request and returns the status and the body.
func (in *instance) call(t *testing.T, method, path string) (int, map[string]any, []any) {
	t.Helper()
	req, _ := http.NewRequest(method, in.api+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := in.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var obj map[string]any
	var list []any
	if json.Unmarshal(body, &obj) != nil && json.Unmarshal(body, &list) != nil {
		t.Fatalf("%s %s: body is not JSON: %q", method, path, body)
	}
	return resp.StatusCode, obj, list
}

// stream is a client's GET stream through one instance, counting events.
type stream struct {
	session string
	events  atomic.Int64
	done    chan struct{}
}

// openStream initializes a session through in and opens its GET stream.
func openStream(t *testing.T, in *instance) *stream {
	t.Helper()
	resp, err := in.client.Post(in.proxy+"/mcp", "application/json",
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s := &stream{session: resp.Header.Get("Mcp-Session-Id"), done: make(chan struct{})}
	if s.session == "" {
		t.Fatalf("initialize through %s: no session id (status %d)", in.id, resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", in.proxy+"/mcp", nil)
	req.Header.Set("Mcp-Session-Id", s.session)
	req.Header.Set("Accept", "text/event-stream")
	get, err := in.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if get.StatusCode != 200 {
		t.Fatalf("GET stream through %s: status %d", in.id, get.StatusCode)
	}
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(get.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") {
				s.events.Add(1)
			}
		}
	}()
	t.Cleanup(func() { get.Body.Close(); <-s.done })
	return s
}

// flowing reports whether events arrive: the count grows within 5 s.
func (s *stream) flowing() bool {
	start := s.events.Load()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if s.events.Load() > start {
			return true
		}
	}
	return false
}

// held reports whether events have stopped: after half a second to settle, none
// arrives for 700 ms (the upstream sends one every 5 ms).
func (s *stream) held() bool {
	time.Sleep(500 * time.Millisecond)
	start := s.events.Load()
	time.Sleep(700 * time.Millisecond)
	return s.events.Load() == start
}

// waitForList polls path on in until match accepts the answer.
func (in *instance) waitForList(t *testing.T, path string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	var last map[string]any
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		status, obj, _ := in.call(t, "GET", path)
		if status == 200 && match(obj) {
			return obj
		}
		last = obj
	}
	t.Fatalf("GET %s on %s never matched; last %v", path, in.id, last)
	return nil
}

// entries returns the list under key of an ?all=1 answer.
func entries(obj map[string]any, key string) []map[string]any {
	var out []map[string]any
	list, _ := obj[key].([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
