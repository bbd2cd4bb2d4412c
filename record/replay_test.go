package record

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// session is what a client saw of a scripted session.
type session struct {
	results  []string
	progress []float64
	span     time.Duration // from the first to the last progress notification
	changed  int           // tools/list_changed notifications (from the GET stream)
}

// script runs the same calls against endpoint: a tool call with progress,
// a sampling round trip, a notification on the GET stream, an echo.
func script(t *testing.T, endpoint string) session {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cs, rec := mcptest.Connect(t, ctx, mcpserver.Stateful, endpoint, mcptest.ClientOptions{})
	var s session
	call := func(name string, args map[string]any, token string) {
		p := &mcp.CallToolParams{Name: name, Arguments: args}
		if token != "" {
			p.SetProgressToken(token)
		}
		res, err := cs.CallTool(ctx, p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s.results = append(s.results, res.Content[0].(*mcp.TextContent).Text)
	}
	call("progress", map[string]any{"count": 10, "interval_ms": 40}, "tok")
	call("sample", map[string]any{"prompt": "why?"}, "")
	call("notify_later", map[string]any{"delay_ms": 10}, "")
	if _, err := rec.Wait(mcptest.MethodToolListChanged, 1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	call("echo", map[string]any{"text": "bye"}, "")
	evs, err := rec.WaitProgress(10, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		s.progress = append(s.progress, e.Params.(*mcp.ProgressNotificationParams).Progress)
	}
	s.span = evs[len(evs)-1].At.Sub(evs[0].At)
	s.changed = len(rec.Events(mcptest.MethodToolListChanged))
	cs.Close()
	return s
}

// recordThroughProxy runs the script through a proxy and returns the
// recording's observations, written to and read back from the format.
func recordThroughProxy(t *testing.T) (session, []*proxy.Observation) {
	var live session
	obs := recordWith(t, mcpserver.Stateful, func(endpoint string, _ *mcptest.Upstream) { live = script(t, endpoint) })
	return live, obs
}

// recordWith records what clients does through a proxy in front of a
// go-sdk upstream of kind, and returns the recording's observations,
// written to and read back from the format.
func recordWith(t *testing.T, kind mcpserver.Kind, clients func(endpoint string, up *mcptest.Upstream)) []*proxy.Observation {
	up := mcptest.StartUpstream(t, kind)
	u, _ := url.Parse(up.URL)
	p := proxy.New(u)
	tr := proxy.NewTransport(0)
	p.Transport = tr
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := p.NewServer()
	go srv.Serve(ln)
	sub := p.Bus.SubscribeLossless(LosslessBuffer)
	var file bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- Record(context.Background(), sub, &file, NewHeader(up.URL, true), NewRedactor(nil)) }()
	clients("http://"+ln.Addr().String()+kind.Path(), up)
	srv.Close()
	tr.CloseIdleConnections()
	p.Drain(t.Context()) // the streams' last observations reach the recorder before it stops
	sub.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var obs []*proxy.Observation
	if err := Read(&file, func(o *Observation) error { obs = append(obs, o); return nil }); err != nil {
		t.Fatal(err)
	}
	return obs
}

// TestReplayAsRecorded records a go-sdk session, replays the recording at
// speed 1, and runs the same client against the replay.
func TestReplayAsRecorded(t *testing.T) {
	live, obs := recordThroughProxy(t)
	rp := NewReplayer(obs, 1)
	srv := httptest.NewServer(rp)
	defer srv.Close()
	defer srv.CloseClientConnections()
	replayed := script(t, srv.URL+"/mcp")

	if strings.Join(replayed.results, "|") != strings.Join(live.results, "|") {
		t.Errorf("results differ:\nlive     %q\nreplayed %q", live.results, replayed.results)
	}
	for i := range live.progress {
		if replayed.progress[i] != live.progress[i] {
			t.Fatalf("progress order differs: live %v replayed %v", live.progress, replayed.progress)
		}
	}
	if replayed.changed < 1 {
		t.Errorf("the GET stream's notification was not replayed")
	}
	if ratio := float64(replayed.span) / float64(live.span); math.Abs(ratio-1) > 0.5 {
		t.Errorf("progress took %v live and %v replayed at speed 1 (ratio %.2f), want within 50%%", live.span, replayed.span, ratio)
	}
	t.Logf("progress span live %v, replayed %v", live.span, replayed.span)
}

func TestReplayUnmatchedNamesClosest(t *testing.T) {
	_, obs := recordThroughProxy(t)
	srv := httptest.NewServer(NewReplayer(obs, 0))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/mcp", "application/json",
		strings.NewReader(`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"echo","arguments":{"text":"never said"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		ID    int
		Error struct{ Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatal(err)
	}
	if msg := answer.Error.Message; answer.ID != 42 || !strings.Contains(msg, "no recorded request matches") ||
		!strings.Contains(msg, `closest recorded: tools/call {"arguments":{"text":"bye"},"name":"echo"}`) {
		t.Errorf("unmatched request answered %+v", answer)
	}
	http.DefaultClient.CloseIdleConnections()
}

// TestReplayServesAnotherClient: a recording made with one client answers
// the handshake of another (a different name, version and capabilities)
// with the recorded server's, and a fresh session; requests that do not
// describe the server still have to match.
func TestReplayServesAnotherClient(t *testing.T) {
	_, obs := recordThroughProxy(t)
	srv := httptest.NewServer(NewReplayer(obs, 0))
	defer srv.Close()
	defer http.DefaultClient.CloseIdleConnections()
	post := func(body string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp, b.String()
	}
	resp, body := post(`{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"another-client","version":"9"}}}`)
	if !strings.Contains(body, `"id":7`) || !strings.Contains(body, `"serverInfo"`) || strings.Contains(body, `"error"`) {
		t.Fatalf("initialize from another client answered %q", body)
	}
	if resp.Header.Get("Mcp-Session-Id") == "" {
		t.Error("initialize from another client got no session id")
	}
	if _, body := post(`{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo","arguments":{"text":"never said"}}}`); !strings.Contains(body, "no recorded request matches") {
		t.Errorf("an unrecorded tools/call answered %q; want the no-match error", body)
	}
}

// TestReplaySettledWithOnlyStreams: a shutdown waits for the requests in
// flight but not for SSE streams, which a client holds open for as long as
// it runs (Settled).
func TestReplaySettledWithOnlyStreams(t *testing.T) {
	_, obs := recordThroughProxy(t)
	rp := NewReplayer(obs, 0)
	srv := httptest.NewServer(rp)
	defer srv.Close()
	defer srv.CloseClientConnections()
	if !rp.Settled() {
		t.Fatal("not settled with nothing served")
	}
	body, feed := io.Pipe()
	defer feed.Close() // on an early failure too: the client's POST then ends
	posted := make(chan error, 1)
	go func() {
		resp, err := http.Post(srv.URL+"/mcp", "application/json", body)
		if err == nil {
			resp.Body.Close()
		}
		posted <- err
	}()
	feed.Write([]byte(`{"jsonrpc":"2.0",`)) // the request is in flight until its body ends
	waitFor(t, func() bool { return rp.serving.Load() == 1 })
	if rp.Settled() {
		t.Fatal("settled while a POST was being read")
	}
	feed.Write([]byte(`"method":"notifications/initialized"}`))
	feed.Close()
	if err := <-posted; err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET stream: %v, %v", resp, err)
	}
	defer resp.Body.Close()
	waitFor(t, func() bool { return rp.serving.Load() == 1 && rp.streaming.Load() == 1 })
	if !rp.Settled() {
		t.Fatal("not settled with only a GET stream open")
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
	}
}

// toolNames connects a go-sdk client to endpoint, lists the tools times
// times, and returns the names each listing gave, joined.
func toolNames(t *testing.T, endpoint string, times int) []string {
	t.Helper()
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, endpoint, mcptest.ClientOptions{DisableStandaloneSSE: true})
	defer cs.Close()
	var lists []string
	for range times {
		res, err := cs.ListTools(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tool := range res.Tools {
			names = append(names, tool.Name)
		}
		lists = append(lists, strings.Join(names, ","))
	}
	return lists
}

// TestReplayKeepsSessionsApart records two sessions whose tools/list
// answers differ (the server dropped a tool between them; the first
// session listed twice) and replays them to two clients in turn that list
// once each: each gets its own recorded session's answer. (The second once
// got the first session's second answer: answers were taken in recorded
// order across sessions.)
func TestReplayKeepsSessionsApart(t *testing.T) {
	var first, second []string
	obs := recordWith(t, mcpserver.Stateful, func(endpoint string, up *mcptest.Upstream) {
		first = toolNames(t, endpoint, 2)
		up.Server.RemoveTools("echo")
		second = toolNames(t, endpoint, 1)
	})
	if first[0] == second[0] {
		t.Fatalf("the two recorded sessions listed the same tools %v; the test needs them to differ", first[0])
	}
	srv := httptest.NewServer(NewReplayer(obs, 0))
	defer srv.Close()
	defer srv.CloseClientConnections()
	for i, want := range []string{first[0], second[0]} {
		if got := toolNames(t, srv.URL+"/mcp", 1); got[0] != want {
			t.Errorf("replayed client %d listed %v; its recorded session listed %v", i+1, got[0], want)
		}
	}
	// A third client finds every recorded session replayed: it gets the
	// first again, whole (both of its listings).
	if got := toolNames(t, srv.URL+"/mcp", 2); !slices.Equal(got, first) {
		t.Errorf("a third client listed %v, want the first session's %v", got, first)
	}
}
