package control_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/control"
	"github.com/mcpscope/mcpscope/proxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const token = "s3cret"

// rig is a proxy in front of a slow event source, and its control API.
type rig struct {
	proxy, api string
	p          *proxy.Proxy
	client     *http.Client
}

func start(t *testing.T) *rig {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; ; i++ {
			fmt.Fprintf(w, "id: %d\ndata: {}\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}))
	u, _ := url.Parse(up.URL)
	p := proxy.New(u)
	tr := proxy.NewTransport(0)
	p.Transport = tr
	ps := httptest.NewServer(p)
	api := httptest.NewServer(&control.Server{Proxy: p, Token: token, Keepalive: 50 * time.Millisecond})
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		api.Close()
		ps.Close()
		up.Close()
		tr.CloseIdleConnections()
		p.Bus.Close()
	})
	return &rig{proxy: ps.URL, api: api.URL, p: p, client: client}
}

// call makes an API request and returns the status and decoded body.
func (r *rig) call(t *testing.T, method, path string, edit func(*http.Request)) (int, map[string]any, []any) {
	t.Helper()
	req, _ := http.NewRequest(method, r.api+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if edit != nil {
		edit(req)
	}
	resp, err := r.client.Do(req)
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

func TestAuthAndGuard(t *testing.T) {
	r := start(t)
	cases := []struct {
		name string
		edit func(*http.Request)
		want int
	}{
		{"token", nil, 200},
		{"no token", func(q *http.Request) { q.Header.Del("Authorization") }, 401},
		{"wrong token", func(q *http.Request) { q.Header.Set("Authorization", "Bearer nope") }, 401},
		{"basic auth", func(q *http.Request) { q.SetBasicAuth("u", token) }, 401},
		{"foreign host", func(q *http.Request) { q.Host = "attacker.example" }, 403},
		{"foreign origin", func(q *http.Request) { q.Header.Set("Origin", "http://attacker.example") }, 403},
	}
	for _, c := range cases {
		status, obj, _ := r.call(t, "GET", "/api/streams", c.edit)
		if status != c.want {
			t.Errorf("%s: status %d, want %d", c.name, status, c.want)
		}
		if c.want != 200 && (obj == nil || obj["error"] == "") {
			t.Errorf("%s: no JSON error message", c.name)
		}
	}
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/api/pause", 405}, {"POST", "/api/streams", 405}, {"GET", "/api/nothing", 404},
		{"POST", "/api/streams/st-404/pause", 404}, {"POST", "/api/sessions/none/resume", 404},
		{"POST", "/api/streams/x/explode", 404}, {"POST", "/api", 404},
	} {
		if status, obj, _ := r.call(t, c.method, c.path, nil); status != c.want || obj["error"] == nil {
			t.Errorf("%s %s: status %d (%v), want %d with a JSON error", c.method, c.path, status, obj, c.want)
		}
	}
}

// TestPauseStepResumeOverAPI drives a live stream through the API and reads
// the gate changes from /api/events.
func TestPauseStepResumeOverAPI(t *testing.T) {
	r := start(t)
	events := r.openEvents(t)
	stream, err := r.client.Get(r.proxy + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	var streams []any
	for deadline := time.Now().Add(5 * time.Second); len(streams) == 0 && time.Now().Before(deadline); {
		_, _, streams = r.call(t, "GET", "/api/streams", nil)
	}
	if len(streams) != 1 {
		t.Fatalf("streams = %v, want one", streams)
	}
	st := streams[0].(map[string]any)
	id, session := st["id"].(string), st["session"].(string)
	if st["state"] != "flowing" {
		t.Errorf("new stream state %v", st["state"])
	}
	if status, _, _ := r.call(t, "POST", "/api/streams/"+id+"/step", nil); status != http.StatusConflict {
		t.Errorf("step on a flowing stream: %d, want 409", status)
	}
	for _, path := range []string{"/api/streams/" + id + "/pause", "/api/streams/" + id + "/step", "/api/streams/" + id + "/resume",
		"/api/sessions/" + session + "/pause", "/api/sessions/" + session + "/resume", "/api/pause", "/api/resume"} {
		if status, obj, _ := r.call(t, "POST", path, nil); status != 200 {
			t.Fatalf("POST %s: %d %v", path, status, obj)
		}
	}
	_, _, sessions := r.call(t, "GET", "/api/sessions", nil)
	if len(sessions) == 0 {
		t.Error("no sessions listed")
	}
	want := []string{"stream pause", "stream step", "stream resume", "session pause", "session resume", "all pause", "all resume"}
	for _, w := range want {
		if !events.waitFor(w, 5*time.Second) {
			t.Fatalf("/api/events never carried the gate change %q; saw %v", w, events.seen)
		}
	}
}

// eventLog reads /api/events in the background.
type eventLog struct {
	seen []string
	next chan string
}

func (r *rig) openEvents(t *testing.T) *eventLog {
	req, _ := http.NewRequest("GET", r.api+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("/api/events: %d %s", resp.StatusCode, ct)
	}
	log := &eventLog{next: make(chan string, 1024)}
	t.Cleanup(func() { resp.Body.Close() })
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var o proxy.Observation
			if json.Unmarshal([]byte(data), &o) == nil && o.Type == proxy.TypeGate && o.Gate.By == "api" {
				log.next <- o.Gate.Scope + " " + o.Gate.Action
			}
		}
		close(log.next)
	}()
	return log
}

func (l *eventLog) waitFor(what string, within time.Duration) bool {
	timeout := time.After(within)
	for {
		for _, s := range l.seen {
			if s == what {
				return true
			}
		}
		select {
		case s, ok := <-l.next:
			if !ok {
				return false
			}
			l.seen = append(l.seen, s)
		case <-timeout:
			return false
		}
	}
}

func readCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

// TestIndexListsEveryEndpoint: GET /api lists the routes, and each one it
// lists is served (answers something other than "no such endpoint").
func TestIndexListsEveryEndpoint(t *testing.T) {
	r := start(t)
	status, _, list := r.call(t, "GET", "/api", nil)
	if status != 200 || len(list) == 0 {
		t.Fatalf("GET /api: status %d, %d endpoints", status, len(list))
	}
	for _, e := range list {
		e := e.(map[string]any)
		method, path := e["method"].(string), strings.ReplaceAll(e["path"].(string), "{id}", "none")
		if path == "/api/events" {
			continue // a stream: it answers 200 and stays open
		}
		req, _ := http.NewRequest(method, r.api+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := r.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "no such endpoint") || resp.StatusCode == http.StatusMethodNotAllowed {
			t.Errorf("GET /api lists %s %s, which answers %d %s", method, e["path"], resp.StatusCode, body)
		}
	}
}
