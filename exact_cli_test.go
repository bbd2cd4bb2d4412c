package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/record"
)

// Events a byte-level upstream answers a POST with: one whose data is not
// valid UTF-8, one with a C1 control (U+009B, a terminal's CSI) and a
// bidirectional override (U+202E), and the result.
var trickyEvents = []string{
	"id: e1\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"bad \xff\xfe bytes \xe2\x98\"}}\n\n",
	"id: e2\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"\u009b31m red \u202eevil\u2066\"}}\n\n",
	"id: e3\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[]}}\n\n",
}

const trickyRequest = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"tricky"}}`

// startTrickyUpstream answers every POST with trickyEvents, byte for byte.
func startTrickyUpstream(t *testing.T) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range trickyEvents {
			io.WriteString(w, e)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(up.Close)
	return up
}

// postTricky sends trickyRequest to url and returns the response body.
func postTricky(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(trickyRequest))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// TestHeadlessEscapesInvisible: C1 controls and bidirectional overrides
// from the upstream never reach --headless output raw; each line stays
// JSON and reads back to the bytes forwarded.
func TestHeadlessEscapesInvisible(t *testing.T) {
	up := startTrickyUpstream(t)
	addr, stdout := startCLI(t, "-u", up.URL+"/mcp", "--headless", "-l", "127.0.0.1:0")
	defer http.DefaultClient.CloseIdleConnections()
	if got := postTricky(t, "http://"+addr+"/mcp"); got != strings.Join(trickyEvents, "") {
		t.Fatalf("the client got %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stdout.String(), `"stream_closed"`) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out := stdout.String()
	for _, r := range []string{"\u009b", "\u202e", "\u2066"} {
		if strings.Contains(out, r) {
			t.Errorf("%U reached the headless output raw", []rune(r)[0])
		}
	}
	if !strings.Contains(out, `\u009b31m red \u202eevil\u2066`) {
		t.Errorf("headless output lacks the escaped text:\n%s", out)
	}
	found := false
	if err := record.Read(strings.NewReader(out), func(o *record.Observation) error {
		found = found || o.Raw == trickyEvents[1]
		return nil
	}); err != nil || !found {
		t.Errorf("reading the headless output back: %v; the event's raw bytes found: %v", err, found)
	}
}

// TestRecordingKeepsInvalidUTF8: an upstream event whose data is not
// valid UTF-8 is recorded so that it reads back, and replays, byte for
// byte as it was forwarded.
func TestRecordingKeepsInvalidUTF8(t *testing.T) {
	file := filepath.Join(t.TempDir(), "session.jsonl")
	up := startTrickyUpstream(t)
	addrs, _, stop := startCLIStoppable(t, []string{"-u", up.URL + "/mcp", "--headless", "-l", "127.0.0.1:0", "--record", file}, `listening on http://(\S+)`)
	defer http.DefaultClient.CloseIdleConnections()
	forwarded := postTricky(t, "http://"+addrs[0]+"/mcp")
	if forwarded != strings.Join(trickyEvents, "") {
		t.Fatalf("the client got %q", forwarded)
	}
	stop()
	var obs []*record.Observation
	var raws []string
	if err := record.ReadFile(file, func(o *record.Observation) error {
		obs = append(obs, o)
		if o.Type == "sse_event" {
			raws = append(raws, o.Raw)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(raws, "") != forwarded {
		t.Errorf("the recorded events read back as\n%q\nforwarded\n%q", strings.Join(raws, ""), forwarded)
	}
	data, _ := os.ReadFile(file)
	if !bytes.Contains(data, []byte(`"raw_b64":"`)) {
		t.Errorf("no raw_b64 in the recording")
	}
	for _, format := range []string{"jsonl", "har"} { // exports keep the bytes too
		var out bytes.Buffer
		if err := (record.Exporter{}).Export(&out, obs, format); err != nil {
			t.Fatal(err)
		}
		if got := exported(t, format, out.Bytes()); got != forwarded {
			t.Errorf("the %s export holds\n%q\nforwarded\n%q", format, got, forwarded)
		}
	}
	rs := httptest.NewServer(record.NewReplayer(obs, 0))
	defer rs.Close()
	// The events with odd bytes are served as forwarded; the answer is
	// re-encoded around the live request's id (replay does so even when it
	// is the recorded id), so only its presence is checked.
	replayed := postTricky(t, rs.URL+"/mcp")
	if odd := trickyEvents[0] + trickyEvents[1]; !strings.HasPrefix(replayed, odd) || !strings.Contains(replayed[len(odd):], `"result"`) {
		t.Errorf("replay served\n%q\nforwarded\n%q", replayed, forwarded)
	}
}

// exported returns the stream's bytes an export holds: the raw bytes of
// the SSE events of a JSONL export, the response content of a HAR.
func exported(t *testing.T, format string, out []byte) string {
	t.Helper()
	if format == "jsonl" {
		var raws []string
		if err := record.Read(bytes.NewReader(out), func(o *record.Observation) error {
			if o.Type == "sse_event" {
				raws = append(raws, o.Raw)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return strings.Join(raws, "")
	}
	var har record.HAR
	if err := json.Unmarshal(out, &har); err != nil {
		t.Fatal(err)
	}
	for _, e := range har.Log.Entries {
		if c := e.Response.Content; c.Encoding == "base64" {
			b, err := base64.StdEncoding.DecodeString(c.Text)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		} else if strings.Contains(c.Text, "notifications/message") {
			return c.Text
		}
	}
	return ""
}
