package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// credentialTransport sends credentials in headers, as real clients do
// (and as the default header list used to miss).
type credentialTransport struct{ base http.RoundTripper }

func (c credentialTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range credentialHeaders {
		r.Header.Set(k, v)
	}
	return c.base.RoundTrip(r)
}

var credentialHeaders = map[string]string{
	"Authorization": "Bearer SECRET-authorization", "Cookie": "sid=SECRET-cookie", "X-Api-Key": "SECRET-x-api-key",
	"Api-Key": "SECRET-api-key", "X-Auth-Token": "SECRET-x-auth-token", "X-Goog-Api-Key": "SECRET-goog",
}

// trickyMessages hide --redact-path values where a naive redactor misses
// them: behind a JSON escape in the key, in an array, in broken JSON.
var trickyMessages = []string{
	`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"pi\u006e":"SECRET-escaped-key"}}}`,
	`{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo","list":[{"code":"SECRET-in-array"},{"code":"kept"}]}}`,
	`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"pin":"SECRET-broken-json"`,
}

func mustRequest(t *testing.T, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	return req
}

// credentialQuery is the upstream URL's query, which clients repeat.
const credentialQuery = "api_key=SECRET-q-api-key&token=SECRET-q-token&page=1"

// runWithCredentials proxies a go-sdk session that sends credentials in
// headers, in the URL's query and in tool arguments, with --headless, a
// recording and the control API's event stream, and returns what left
// the process: stdout, the recording, the events and the stderr line
// naming the upstream.
func runWithCredentials(t *testing.T, extra ...string) (stdout, recording, events, listening string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "session.jsonl")
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	args := append([]string{"-u", up.URL + "?" + credentialQuery, "--headless", "-l", "127.0.0.1:0", "--record", file,
		"--control", "127.0.0.1:0", "--control-token", "tok", "--redact-path", "params.arguments.pin", "--redact-path", "params.list.0.code"}, extra...)
	found, out, stop := startCLIStoppable(t, args, `(listening on http://\S+ .*)`, `control API on http://(\S+)`)
	listening = found[0]
	addr := strings.Fields(strings.TrimPrefix(listening, "listening on http://"))[0]

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+found[1]+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	evs := &syncBuffer{}
	read := make(chan struct{})
	go func() {
		defer close(read)
		lines := bufio.NewScanner(resp.Body)
		lines.Buffer(nil, 1<<20)
		for lines.Scan() {
			evs.Write([]byte(lines.Text() + "\n"))
		}
	}()

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+addr+"/mcp?"+credentialQuery,
		mcptest.ClientOptions{HTTPClient: &http.Client{Transport: credentialTransport{tr}}})
	p := &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hello", "password": "SECRET-arg-password", "apiKey": "SECRET-arg-apikey"}}
	p.SetProgressToken("progress-token-kept")
	cs.CallTool(t.Context(), p)          // the server may refuse the extra arguments; the proxy has seen them
	for _, msg := range trickyMessages { // the upstream refuses them (no session); the proxy has seen them
		if resp, err := tr.RoundTrip(mustRequest(t, "http://"+addr+"/mcp", msg)); err == nil {
			resp.Body.Close()
		}
	}
	cs.Close()
	deadline := time.Now().Add(5 * time.Second) // the events stream sees the DELETE's exchange last
	for !strings.Contains(evs.String(), `"method":"DELETE"`) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	resp.Body.Close()
	<-read
	http.DefaultClient.CloseIdleConnections()
	stop()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), string(data), evs.String(), listening
}

// TestCredentialsNeverLeaveInClear: credentials in headers (any name
// with auth, token, key...), in URL queries, in tool arguments and at
// --redact-path paths (escaped keys, arrays, broken JSON) are
// redacted from --headless output, the recording (its header line too),
// the control API's events and the stderr line naming the upstream; the
// progress token, the session id and ordinary parameters are kept.
func TestCredentialsNeverLeaveInClear(t *testing.T) {
	stdout, recording, events, listening := runWithCredentials(t)
	for name, text := range map[string]string{"--headless output": stdout, "recording": recording, "control API events": events, "stderr": listening} {
		if i := strings.Index(text, "SECRET"); i >= 0 {
			t.Errorf("%s holds a credential in clear: …%s…", name, text[max(0, i-80):min(len(text), i+40)])
		}
		if name == "stderr" {
			if !strings.Contains(text, "api_key=[redacted]&token=[redacted]&page=1") {
				t.Errorf("stderr: %s", text)
			}
			continue
		}
		for _, want := range []string{`"Api-Key":["[redacted]"]`, `"X-Goog-Api-Key":["[redacted]"]`, `?api_key=[redacted]&token=[redacted]&page=1`,
			`\"password\":\"[redacted]\"`, `\"progressToken\":\"progress-token-kept\"`, `"Mcp-Session-Id":["`, `{\"code\":\"kept\"}`} {
			// a message is a JSON string in a recording, a JSON value in --headless and event lines
			if !strings.Contains(text, want) && !strings.Contains(text, strings.ReplaceAll(want, `\"`, `"`)) {
				t.Errorf("%s lacks %s", name, want)
			}
		}
	}
	header, _, _ := strings.Cut(recording, "\n")
	if !strings.Contains(header, `"upstream":"http://`) || !strings.Contains(header, "api_key=[redacted]") {
		t.Errorf("recording header: %s", header)
	}
}

// TestNoRedactKeepsCredentials: --no-redact keeps them, in every output.
func TestNoRedactKeepsCredentials(t *testing.T) {
	stdout, recording, events, listening := runWithCredentials(t, "--no-redact")
	for name, text := range map[string]string{"--headless output": stdout, "recording": recording, "control API events": events, "stderr": listening} {
		if !strings.Contains(text, "SECRET-q-api-key") {
			t.Errorf("%s lacks the query's api_key with --no-redact", name)
		}
		if name != "stderr" && (!strings.Contains(text, "SECRET-goog") || !strings.Contains(text, "SECRET-arg-password") || !strings.Contains(text, "SECRET-broken-json")) {
			t.Errorf("%s lacks a header or argument with --no-redact", name)
		}
	}
}

// TestTUIHeaderRedactsQuery: the TUI's header names the upstream with its
// secret query values redacted (screenshots are shared too).
func TestTUIHeaderRedactsQuery(t *testing.T) {
	requireTmux(t)
	bin := buildBinary(t)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	term := startInTmux(t, bin, "-u", up.URL+"?key=SECRETK", "-l", "127.0.0.1:0")
	screen := term.waitScreen("the header naming the upstream", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "Traffic") && strings.Contains(s, "?key=")
	})
	if strings.Contains(screen, "SECRETK") || !strings.Contains(screen, "?key=[redacted]") {
		t.Errorf("the header shows the query's key:\n%s", screen)
	}
}

// TestBadUpstreamURLRedacted: an upstream URL that does not parse (a bad
// port) is quoted in the error on stderr with its password redacted.
func TestBadUpstreamURLRedacted(t *testing.T) {
	for _, u := range []string{"http://u:hunter2@h:port/mcp", "https://ghp_hunter2@h:port/mcp"} {
		var stdout, stderr bytes.Buffer
		code := run(t.Context(), []string{"-u", u, "--headless"}, &stdout, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), "[redacted]@h:port") || strings.Contains(stderr.String()+stdout.String(), "hunter2") {
			t.Errorf("-u %s: exit %d, stderr %q", u, code, stderr.String())
		}
	}
}

// TestHeadlessRedactsEventRaw: secrets in the raw bytes of SSE events
// never reach --headless output, whether the event's data is a batch
// (no body of its own), spread over several data lines, repeated in a
// comment, oversized (in fragments), or an unfinished block at the end of
// the stream; the client still gets every byte.
func TestHeadlessRedactsEventRaw(t *testing.T) {
	events := []string{
		"id: b1\ndata: [{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"password\":\"SECRET-batch\"}}]\n\n",
		"id: b2\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\ndata: \"params\":{\"token\":\"SECRET-lines\"}}\n\n",
		": {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"token\":\"SECRET-comment\"}}\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"token\":\"SECRET-comment\"}}\n\n",
		"data: {\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{\"pad\":\"" + strings.Repeat("x", 300) + "\",\"passwd\":\"SECRET-oversized\"}}\n\n",
		"data: {\"jsonrpc\":\"2.0\",\"method\":\"m\",\ndata: \"params\":{\"secret\":\"SECRET-unfinished\"}}",
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range events {
			io.WriteString(w, e)
			w.(http.Flusher).Flush()
		}
	}))
	defer up.Close()
	addr, stdout := startCLI(t, "-u", up.URL+"/mcp", "--headless", "-l", "127.0.0.1:0", "--max-event-size", "256")
	defer http.DefaultClient.CloseIdleConnections()
	if got := postTricky(t, "http://"+addr+"/mcp"); got != strings.Join(events, "") {
		t.Fatalf("the client got %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stdout.String(), `"stream_closed"`) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out := stdout.String()
	if !strings.Contains(out, `"stream_closed"`) || !strings.Contains(out, `\"id\":1`) {
		t.Fatalf("no stream in the output: %s", out)
	}
	if strings.Contains(out, "SECRET") {
		t.Errorf("a secret left in clear:\n%s", out)
	}
}
