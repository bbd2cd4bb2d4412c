package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// hubCLI is an mcpscope running in the test with --headless: the hub.
type hubCLI struct {
	sock, api, token string
	stdout           *syncBuffer
}

// startHubCLI runs mcpscope --headless (the hub, on a socket of the
// test's) with a control API, plus args.
func startHubCLI(t *testing.T, args ...string) *hubCLI {
	t.Helper()
	h := &hubCLI{sock: filepath.Join(t.TempDir(), "hub.sock"), token: "test-token"}
	all := append([]string{"-u", "http://127.0.0.1:1/mcp", "--headless", "-l", "127.0.0.1:0", "--hub", h.sock,
		"--control", "127.0.0.1:0", "--control-token", h.token}, args...)
	found, stdout := startCLIWaiting(t, all, `hub on (\S+) `, `listening on http://(\S+)`, `control API on http://(\S+) `)
	h.api, h.stdout = "http://"+found[2], stdout
	return h
}

// call calls the control API and decodes its JSON answer into out (if not
// nil).
func (h *hubCLI) call(t *testing.T, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, h.api+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// messages returns the bodies of the message observations the hub printed
// for stdio sessions, by direction, once there are at least n in all.
func (h *hubCLI) messages(t *testing.T, n int) (c2s, s2c []string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c2s, s2c = nil, nil
		for _, line := range strings.Split(strings.TrimSpace(h.stdout.String()), "\n") {
			var o struct {
				Type, Session, Direction string
				Body                     json.RawMessage // the message as a JSON value
			}
			if json.Unmarshal([]byte(line), &o) != nil || o.Type != "message" || !strings.HasPrefix(o.Session, "stdio-") {
				continue
			}
			if o.Direction == "client_to_server" {
				c2s = append(c2s, string(o.Body))
			} else {
				s2c = append(s2c, string(o.Body))
			}
		}
		if len(c2s)+len(s2c) >= n || time.Now().After(deadline) {
			return c2s, s2c
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sdkRun is what a go-sdk client got from the demo server: the texts of
// echo, progress and sample, and how many progress notifications it
// handled in all.
type sdkRun struct {
	Echo, Progress, Sample string
	ProgressNotes          int64
}

// runSDK connects a go-sdk client (with a sampling handler) to the server
// argv launches, calls echo, progress (3 notifications) and sample, and
// closes. Every message is logged to log ("write: " sent, "read: "
// received).
func runSDK(t *testing.T, argv []string, log io.Writer) sdkRun {
	t.Helper()
	var progress atomic.Int64
	client := mcp.NewClient(&mcp.Implementation{Name: "wrap-test", Version: "v0"}, &mcp.ClientOptions{
		CreateMessageHandler: func(_ context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			text := req.Params.Messages[0].Content.(*mcp.TextContent).Text
			return &mcp.CreateMessageResult{Model: "test", Role: "assistant", Content: &mcp.TextContent{Text: "sampled: " + text}}, nil
		},
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) { progress.Add(1) },
	})
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	var transport mcp.Transport = &mcp.CommandTransport{Command: cmd}
	if log != nil {
		transport = &mcp.LoggingTransport{Transport: transport, Writer: log}
	}
	cs, err := client.Connect(t.Context(), transport, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := func(name string, args map[string]any, token any) string {
		p := &mcp.CallToolParams{Name: name, Arguments: args}
		if token != nil {
			p.SetProgressToken(token)
		}
		res, err := cs.CallTool(t.Context(), p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return res.Content[0].(*mcp.TextContent).Text
	}
	var r sdkRun
	r.Echo = text("echo", map[string]any{"text": "through the hub"}, nil)
	r.Progress = text("progress", map[string]any{"count": 3, "interval_ms": 30}, "tok")
	r.Sample = text("sample", map[string]any{"prompt": "why?"}, nil)
	if err := cs.Close(); err != nil {
		t.Errorf("closing: %v", err)
	}
	r.ProgressNotes = progress.Load()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 0 {
		t.Errorf("the launched process: %v, want reaped with status 0", cmd.ProcessState)
	}
	return r
}

// TestWrapThroughHub: a go-sdk client launches mcpscope wrap with a hub
// running: tools, progress before the call ends, sampling (a server
// request) all work and give what a direct launch gives; the hub saw
// every message the client sent and received, in order.
func TestWrapThroughHub(t *testing.T) {
	h := startHubCLI(t)
	server := mcptest.StdioServerCommand("sdk")
	direct := runSDK(t, server, nil)
	var log syncBuffer
	wrapped := runSDK(t, mcpscopeCommand(append([]string{"wrap", "--hub", h.sock, "--"}, server...)...), &log)
	if wrapped.Echo != direct.Echo || wrapped.Progress != direct.Progress || wrapped.Sample != direct.Sample || wrapped.Sample != "sampled: why?" {
		t.Errorf("through wrap and the hub: %+v; direct: %+v", wrapped, direct)
	}
	var sent, received []string
	for _, line := range strings.Split(log.String(), "\n") {
		if m, ok := strings.CutPrefix(line, "write: "); ok {
			sent = append(sent, m)
		} else if m, ok := strings.CutPrefix(line, "read: "); ok {
			received = append(received, m)
		}
	}
	// Progress arrives before the call ends: on the wire, the three
	// notifications come before the progress call's result (the sdk may
	// run its handlers after the call returns, so count on the wire).
	var notes int
	for _, m := range received {
		if strings.Contains(m, `"notifications/progress"`) {
			notes++
		}
		if strings.Contains(m, `"done 3"`) {
			break
		}
	}
	if notes != 3 {
		t.Errorf("%d progress notifications reached the client before the progress call's result, want 3", notes)
	}
	c2s, s2c := h.messages(t, len(sent)+len(received))
	if !sameJSON(c2s, sent) || !sameJSON(s2c, received) {
		t.Errorf("the hub saw client→server %d messages, server→client %d; the client sent %d, received %d; or not the same, in order:\nhub c2s %q\nsent %q\nhub s2c %q\nreceived %q",
			len(c2s), len(s2c), len(sent), len(received), c2s, sent, s2c, received)
	}
	if !strings.Contains(h.stdout.String(), "stdio session started: "+strings.Join(server, " ")) ||
		!strings.Contains(h.stdout.String(), "stdio session ended: client closed stdin; server exited with status 0") {
		t.Error("the hub did not show the session start (named after the command) and end (client closed stdin)")
	}
}

// sameJSON reports whether a and b are the same JSON values in order.
func sameJSON(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		var x, y any
		if json.Unmarshal([]byte(a[i]), &x) != nil || json.Unmarshal([]byte(b[i]), &y) != nil || !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// rss is a process's resident memory in KiB (Linux).
func rss(t *testing.T, pid int) int {
	b, err := os.ReadFile("/proc/" + itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int
			for _, c := range strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")) {
				kb = kb*10 + int(c-'0')
			}
			return kb
		}
	}
	return 0
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestHubPauseHoldsFloodingServer: a pause in the hub's control API holds
// a stdio server writing as fast as it can: its writes block (its count
// of completed writes stops), wrap's and the hub's memory stay flat, and
// after resume every line arrives, in order.
func TestHubPauseHoldsFloodingServer(t *testing.T) {
	// At the end the hub's printer drains up to 20 MiB of observations into
	// a buffer; under -race on a busy 2-core machine that took more than the
	// 2 s shutdown grace (the hub then gives up on stdout, exit status 1).
	// This test is not about the shutdown: give it time.
	grace := shutdownGrace
	shutdownGrace = time.Minute
	t.Cleanup(func() { shutdownGrace = grace }) // after the hub's stop: cleanups run last first
	h := startHubCLI(t)
	h.call(t, "POST", "/api/pause", "", nil)
	const lines = 20000 // 20 MiB, twenty times the window
	count := filepath.Join(t.TempDir(), "count")
	argv := mcpscopeCommand(append([]string{"wrap", "--hub", h.sock, "--"}, mcptest.StdioServerCommand("flood")...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), mcptest.FloodLinesEnv+"="+itoa(lines), mcptest.FloodCountEnv+"="+count)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	read := make(chan error, 1)
	var got atomic.Int64
	go func() { // the client reads as fast as it can, checking the order
		in := bufio.NewReaderSize(stdout, 64<<10)
		for i := 1; i <= lines; i++ {
			line, err := in.ReadString('\n')
			if err != nil {
				read <- err
				return
			}
			if want := mcptest.FloodLine(i) + "\n"; line != want {
				read <- &orderError{i, line}
				return
			}
			got.Add(1)
		}
		read <- nil
	}()
	// Held: the count stops growing, far below the total.
	var held int
	for deadline := time.Now().Add(10 * time.Second); ; {
		time.Sleep(300 * time.Millisecond)
		now := mcptest.ReadFloodCount(count)
		if now > 0 && now == held {
			break
		}
		held = now
		if time.Now().After(deadline) {
			t.Fatalf("the flooding server's writes never stopped: %d of %d written", now, lines)
		}
	}
	if held >= lines/4 || got.Load() != 0 {
		t.Fatalf("paused: the server wrote %d lines and the client got %d; want a window's worth (about 1,000) and none", held, got.Load())
	}
	wrapRSS := rss(t, cmd.Process.Pid)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before) // the hub runs in this process
	time.Sleep(500 * time.Millisecond)
	runtime.ReadMemStats(&after)
	if after.HeapInuse > before.HeapInuse+4<<20 {
		t.Errorf("the hub's heap grew from %d to %d KiB while paused", before.HeapInuse>>10, after.HeapInuse>>10)
	}
	if later := mcptest.ReadFloodCount(count); later != held {
		t.Errorf("the server wrote %d more lines while paused", later-held)
	}
	if later := rss(t, cmd.Process.Pid); later > wrapRSS+1024 || later > 64<<10 {
		t.Errorf("wrap's memory while paused: %d KiB, then %d KiB: not flat and small", wrapRSS, later)
	}
	var streams []struct {
		ID, Session, State string
		HeldBytes          int64 `json:"held_bytes"`
	}
	h.call(t, "GET", "/api/streams", "", &streams)
	t.Logf("paused: server wrote %d lines; wrap RSS %d KiB; streams %+v", held, wrapRSS, streams)
	if len(streams) != 1 || !strings.HasPrefix(streams[0].Session, "stdio-") {
		t.Fatalf("streams %+v, want the wrapped session's one", streams)
	}
	h.call(t, "POST", "/api/streams/"+streams[0].ID+"/step", "", nil) // one line, and no more
	for deadline := time.Now().Add(5 * time.Second); got.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if n := got.Load(); n != 1 {
		t.Errorf("a step let %d lines through, want 1", n)
	}
	h.call(t, "POST", "/api/resume", "", nil)
	select {
	case err := <-read:
		if err != nil {
			t.Fatalf("after resume: %v (after %d lines in order)", err, got.Load())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("after resume only %d of %d lines arrived", got.Load(), lines)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("wrap: %v", err)
	}
}

type orderError struct {
	i    int
	line string
}

func (e *orderError) Error() string {
	return "line " + itoa(e.i) + " out of order or changed: " + strings.TrimSpace(e.line)[:min(80, len(e.line)-1)]
}

// TestHubRulesApplyToWrappedSession: the hub's rules act on a wrapped
// session: a mocked tool is answered by the hub, a blocked one gets the
// rule's error, and a call held at a breakpoint goes on with the argument
// edited in the control API.
func TestHubRulesApplyToWrappedSession(t *testing.T) {
	rulesFile := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(rulesFile, []byte(`rules:
  - name: mock log
    match: tool:log
    action: mock
    result: {content: [{type: text, text: "mocked by the hub"}]}
  - name: no deleting
    match: tool:delete_all
    action: block
    error: {code: -32001, message: "blocked by the hub"}
  - name: hold echo
    match: tool:echo kind:request
    action: breakpoint
    timeout: 30s
`), 0o600)
	h := startHubCLI(t, "--rules", rulesFile)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second) // a lost answer fails the test, not hangs it
	defer cancel()
	argv := mcpscopeCommand(append([]string{"wrap", "--hub", h.sock, "--"}, mcptest.StdioServerCommand("sdk")...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "wrap-test", Version: "v0"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "log", Arguments: map[string]any{"count": 1}})
	if err != nil || res.Content[0].(*mcp.TextContent).Text != "mocked by the hub" {
		t.Errorf("mocked tool: %v %v, want the mock's text", res, err)
	}
	_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "delete_all", Arguments: map[string]any{}})
	if err == nil || !strings.Contains(err.Error(), "blocked by the hub") {
		t.Errorf("blocked tool: %v, want the rule's error", err)
	}
	echoed := make(chan string, 1)
	go func() {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "original"}})
		if err != nil {
			echoed <- "error: " + err.Error()
			return
		}
		echoed <- res.Content[0].(*mcp.TextContent).Text
	}()
	var held []struct{ ID, Message string }
	for deadline := time.Now().Add(10 * time.Second); len(held) == 0; time.Sleep(20 * time.Millisecond) {
		h.call(t, "GET", "/api/held", "", &held)
		if time.Now().After(deadline) {
			t.Fatal("the echo call was never held at the breakpoint")
		}
	}
	select {
	case got := <-echoed:
		t.Fatalf("the held call ended before it was resumed: %s", got)
	default:
	}
	edited := strings.Replace(held[0].Message, `"original"`, `"edited in the hub"`, 1)
	h.call(t, "POST", "/api/held/"+held[0].ID+"/resume", edited, nil)
	if got := <-echoed; got != "edited in the hub" {
		t.Errorf("the resumed echo returned %q, want the edited argument", got)
	}
}
