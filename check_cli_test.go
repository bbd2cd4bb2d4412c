package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// recordCleanSession records a go-sdk session through mcpscope (checks
// on) and returns the recording's path.
func recordCleanSession(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "clean.jsonl")
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	addrs, _, stop := startCLIStoppable(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--record", file}, `listening on http://(\S+)`)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+addrs[0]+"/mcp", mcptest.ClientOptions{})
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 3, "interval_ms": 1}}
	p.SetProgressToken("t")
	if _, err := cs.CallTool(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}}); err != nil {
		t.Fatal(err)
	}
	cs.Close()
	stop()
	return file
}

// startFailingUpstream is a hand-written server: tools/call of "boom" is
// answered with error -32601, of "hang" never (its stream stays open
// until the client leaves, or 3 s).
func startFailingUpstream(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			Method string          `json:"method"`
			ID     json.RawMessage `json:"id"`
			Params struct {
				Name string `json:"name"`
			} `json:"params"`
		}
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &m)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case m.Method == "initialize":
			w.Header().Set("Mcp-Session-Id", "up-1")
			io.WriteString(w, `{"jsonrpc":"2.0","id":`+string(m.ID)+`,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"f","version":"1"}}}`)
		case len(m.ID) == 0:
			w.WriteHeader(http.StatusAccepted)
		case m.Params.Name == "boom":
			io.WriteString(w, `{"jsonrpc":"2.0","id":`+string(m.ID)+`,"error":{"code":-32601,"message":"no such tool"}}`)
		case m.Params.Name == "hang":
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
		default:
			io.WriteString(w, `{"jsonrpc":"2.0","id":`+string(m.ID)+`,"result":{}}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/mcp"
}

// recordErrorAndHung records, through mcpscope, a session with an error
// answer and a call left hanging past 300 ms, with traffic after it.
func recordErrorAndHung(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "failing.jsonl")
	up := startFailingUpstream(t)
	addrs, _, stop := startCLIStoppable(t, []string{"-u", up, "--headless", "-l", "127.0.0.1:0", "--record", file, "--hung-after", "300ms"}, `listening on http://(\S+)`)
	url := "http://" + addrs[0] + "/mcp"
	session := ""
	post := func(body string) *http.Response {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
			req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := post(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`)
	session = resp.Header.Get("Mcp-Session-Id")
	resp.Body.Close()
	post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`).Body.Close()
	post(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"boom"}}`).Body.Close()
	hang := post(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"hang"}}`)
	time.Sleep(800 * time.Millisecond) // past --hung-after
	post(`{"jsonrpc":"2.0","id":4,"method":"ping"}`).Body.Close()
	hang.Body.Close()
	stop()
	return file
}

// TestCheckCleanAndFailingRecordings: check exits 0 on a recording of a
// clean go-sdk session, and 1 on one with an error answer and a hung call,
// reporting each once although the recording holds the live findings too;
// --allow lets them pass; a usage error is 2.
func TestCheckCleanAndFailingRecordings(t *testing.T) {
	clean := recordCleanSession(t)
	if status, out, errOut := runCLI("check", clean); status != 0 || !strings.Contains(out, ": clean (") {
		data, _ := os.ReadFile(clean)
		t.Errorf("check on a clean recording: %d\n%s%s\nthe recording:\n%s", status, out, errOut, data)
	}
	failing := recordErrorAndHung(t)
	if data, _ := os.ReadFile(failing); !strings.Contains(string(data), `"type":"finding"`) {
		t.Errorf("the recording holds no live finding (the hung call should be one)")
	}
	status, out, errOut := runCLI("check", failing, "--hung-after", "300ms", "--format", "json")
	var rep struct {
		Problems []struct{ Check, Key, Message string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || status != 1 {
		t.Fatalf("check --format json: %d %v\n%s%s", status, err, out, errOut)
	}
	var keys []string
	for _, p := range rep.Problems {
		keys = append(keys, p.Key)
	}
	if strings.Join(keys, " ") != "error:-32601 hung" {
		t.Errorf("problems %q, want the error once and the hung call once", keys)
	}
	if status, out, _ := runCLI("check", failing, "--hung-after", "300ms", "--allow", "error:-32601", "--allow", "hung"); status != 0 {
		t.Errorf("check with both allowed: %d\n%s", status, out)
	}
	if status, out, _ := runCLI("check", failing, "--hung-after", "300ms"); status != 1 || !strings.Contains(out, "hung") || !strings.Contains(out, "basic/lifecycle#timeouts") {
		t.Errorf("check (text): %d\n%s", status, out)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.jsonl")
	os.WriteFile(garbage, []byte("{\"format\":\"mcpscope-recording\",\"version\":2}\n{not json\n"), 0o600)
	for _, bad := range [][]string{{failing, "--allow", "eror"}, {failing, "--max-p95", "tools/call"}, {failing, "--format", "xml"}, {clean, failing}, {garbage}} {
		if status, _, errOut := runCLI("check", bad...); status != 2 || errOut == "" {
			t.Errorf("check %q: %d %q, want 2 and a message", bad, status, errOut)
		}
	}
	if _, _, errOut := runCLI("check", garbage); !strings.Contains(errOut, "garbage.jsonl") || !strings.Contains(errOut, "line 2") {
		t.Errorf("a bad recording's error does not name the file and line: %q", errOut)
	}
}

// TestCheckMaxP95: a threshold below the measured p95 of tools/call is a
// problem, one above it is not.
func TestCheckMaxP95(t *testing.T) {
	clean := recordCleanSession(t)
	if status, out, _ := runCLI("check", clean, "--max-p95", "tools/call=1ns"); status != 1 || !strings.Contains(out, "max-p95:tools/call") {
		t.Errorf("--max-p95 tools/call=1ns: %d\n%s", status, out)
	}
	if status, out, _ := runCLI("check", clean, "--max-p95", "tools/call=1h", "--max-p95", "tools/call:echo=1h"); status != 0 || !strings.Contains(out, "max-p95 tools/call:echo=1h0m0s: p95") {
		t.Errorf("--max-p95 tools/call=1h: %d\n%s", status, out)
	}
}

// TestCheckJUnitValidates: the JUnit report of a failing recording
// validates against Jenkins' junit-4.xsd (checks/testdata) with xmllint,
// and holds one testsuite per session with a failure per problem.
func TestCheckJUnitValidates(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("MCPSCOPE_REQUIRE_XMLLINT") == "1" {
			t.Fatal("xmllint is required (MCPSCOPE_REQUIRE_XMLLINT=1) but not installed: apt-get install libxml2-utils")
		}
		t.Skip("xmllint not installed (package libxml2-utils): cannot validate the JUnit report")
	}
	failing := recordErrorAndHung(t)
	status, out, errOut := runCLI("check", failing, "--hung-after", "300ms", "--format", "junit")
	if status != 1 {
		t.Fatalf("check --format junit: %d %s", status, errOut)
	}
	report := filepath.Join(t.TempDir(), "report.xml")
	if err := os.WriteFile(report, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(xmllint, "--noout", "--schema", "checks/testdata/jenkins-junit-4.xsd", report).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s\n%s", err, b, out)
	}
	if n := strings.Count(out, "<failure "); n != 2 || !strings.Contains(out, `<testcase name="hung"`) || !strings.Contains(out, `type="error:-32601"`) {
		t.Errorf("JUnit report: %d failures, want 2 (the error, the hung call)\n%s", n, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.xml") // the validator can say no
	os.WriteFile(bad, []byte(`<testsuites><testsuite><testcase/></testsuite></testsuites>`), 0o600)
	if err := exec.Command(xmllint, "--noout", "--schema", "checks/testdata/jenkins-junit-4.xsd", bad).Run(); err == nil {
		t.Errorf("xmllint accepted a report without names: the schema check is not working")
	}
}
