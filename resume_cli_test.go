package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"mcpscope/internal/mcpserver"
	"mcpscope/internal/mcptest"
	"mcpscope/internal/redistest"
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
	first := readSSE(t, call, func(evs []sseEvent) bool {
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
		t.Fatalf("resuming through B: %d", resumed.StatusCode)
	}
	rest := readSSE(t, resumed, func(evs []sseEvent) bool {
		_, done := progressOf(evs[len(evs)-1].data)
		return done
	})
	var got []float64
	for _, e := range rest {
		if p, _ := progressOf(e.data); p > 0 {
			got = append(got, p)
		}
	}
	if len(got) != 8 || got[0] != 5 || got[7] != 12 {
		t.Fatalf("after resuming from progress 4 through B got progress %v, want 5…12 once each", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("progress %v: a gap or a duplicate", got)
		}
	}
	if _, done := progressOf(rest[len(rest)-1].data); !done {
		t.Errorf("the stream ended without the result")
	}
}
