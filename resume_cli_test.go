package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/internal/redistest"
)

// sseEvent is one event read off a stream.
type sseEvent struct{ id, data string }

// readSSE reads events from a response until stop says so or the stream
// ends.
func readSSE(t *testing.T, resp *http.Response, stop func([]sseEvent) bool) []sseEvent {
	t.Helper()
	var evs []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			cur.id = line[4:]
		case strings.HasPrefix(line, "data: "):
			cur.data = line[6:]
		case line == "":
			evs = append(evs, cur)
			cur = sseEvent{}
			if stop(evs) {
				return evs
			}
		}
	}
	return evs
}

// progressOf returns the progress number of a progress notification, or
// 0, and whether the event is the call's result.
func progressOf(data string) (float64, bool) {
	var m struct {
		Method string
		Params struct{ Progress float64 }
		Result json.RawMessage
	}
	json.Unmarshal([]byte(data), &m)
	return m.Params.Progress, m.Result != nil
}

// TestResumeThroughAnotherInstance cuts a tool call's stream read through
// instance A and resumes it with Last-Event-ID through instance B (both on
// one Redis): every remaining event arrives once, then the result.
func TestResumeThroughAnotherInstance(t *testing.T) {
	redis := "redis://" + redistest.Start(t) + "/0"
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	a, _ := startCLI(t, "-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--store", redis)
	b, _ := startCLI(t, "-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--store", redis)
	first, rest := cutAndResume(t, a, b)
	if strings.HasPrefix(first[len(first)-1].id, "mcps1.") {
		t.Errorf("event id %q: with no rule acting, the upstream's ids pass through", first[len(first)-1].id)
	}
	checkRemainingProgress(t, rest)
}

// TestResumeMintedIDsAfterARuleChangedTheStream: a rule changes every
// progress notification, so mcpscope mints the stream's ids; the call cut
// after progress 4 resumes from a minted id, through the same instance
// (memory store) and through another (Redis), and gets progress 5…12 once
// each, every one as the rule changed it, then the result.
func TestResumeMintedIDsAfterARuleChangedTheStream(t *testing.T) {
	rulesFile := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(rulesFile, []byte(`
- name: mark progress
  match: method:notifications/progress
  action: modify
  set: {params.message: "seen by mcpscope"}
`), 0o644)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	t.Run("same instance", func(t *testing.T) {
		a, _ := startCLI(t, "-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--rules", rulesFile)
		checkMintedResume(t, a, a)
	})
	t.Run("another instance", func(t *testing.T) {
		redis := "redis://" + redistest.Start(t) + "/0"
		a, _ := startCLI(t, "-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--store", redis, "--rules", rulesFile)
		b, _ := startCLI(t, "-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--store", redis, "--rules", rulesFile)
		checkMintedResume(t, a, b)
	})
}

func checkMintedResume(t *testing.T, a, b string) {
	first, rest := cutAndResume(t, a, b)
	for _, e := range append(first, rest...) {
		if p, _ := progressOf(e.data); p > 0 && (!strings.HasPrefix(e.id, "mcps1.") || !strings.Contains(e.data, "seen by mcpscope")) {
			t.Fatalf("progress event %+v: want a minted id and the rule's change", e)
		}
	}
	checkRemainingProgress(t, rest)
}

// cutAndResume initializes a go-sdk session through instance a, starts a
// tool call with 12 progress notifications, drops the connection after
// progress 4, and resumes with Last-Event-ID through instance b, reading
// until the result. It returns the events before and after the cut.
func cutAndResume(t *testing.T, a, b string) (first, rest []sseEvent) {
	t.Helper()
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+a+"/mcp", mcptest.ClientOptions{DisableStandaloneSSE: true})
	session, version := cs.ID(), cs.InitializeResult().ProtocolVersion
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	request := func(ctx context.Context, addr, method, body, lastEventID string) *http.Response {
		req, _ := http.NewRequestWithContext(ctx, method, "http://"+addr+"/mcp", strings.NewReader(body))
		req.Header.Set("Mcp-Session-Id", session)
		req.Header.Set("MCP-Protocol-Version", version)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if lastEventID != "" {
			req.Header.Set("Last-Event-ID", lastEventID)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	ctx, cut := context.WithCancel(t.Context())
	call := request(ctx, a, "POST", `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"progress","arguments":{"count":12,"interval_ms":30},"_meta":{"progressToken":"r"}}}`, "")
	first = readSSE(t, call, func(evs []sseEvent) bool {
		p, _ := progressOf(evs[len(evs)-1].data)
		return p == 4
	})
	cut() // the client's connection drops mid-call
	call.Body.Close()
	last := first[len(first)-1].id
	if last == "" {
		t.Fatalf("no event id to resume from: %+v", first)
	}
	resumed := request(t.Context(), b, "GET", "", last)
	defer resumed.Body.Close()
	if resumed.StatusCode != 200 {
		t.Fatalf("resuming: %d", resumed.StatusCode)
	}
	rest = readSSE(t, resumed, func(evs []sseEvent) bool {
		_, done := progressOf(evs[len(evs)-1].data)
		return done
	})
	return first, rest
}

// checkRemainingProgress checks that the events after a cut at progress 4
// carry progress 5…12 once each, in order, then the result.
func checkRemainingProgress(t *testing.T, rest []sseEvent) {
	t.Helper()
	var got []float64
	for _, e := range rest {
		if p, _ := progressOf(e.data); p > 0 {
			got = append(got, p)
		}
	}
	if len(got) != 8 || got[0] != 5 || got[7] != 12 {
		t.Fatalf("after resuming from progress 4 got progress %v, want 5…12 once each", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("progress %v: a gap or a duplicate", got)
		}
	}
	if len(rest) == 0 {
		return
	}
	if _, done := progressOf(rest[len(rest)-1].data); !done {
		t.Errorf("the stream ended without the result")
	}
}
