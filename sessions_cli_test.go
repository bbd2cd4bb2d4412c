package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/internal/redistest"
)

// TestTwoInstancesShareSessions runs two mcpscope processes on one real
// Redis: a session initialized through A is used through B, and a DELETE
// through B ends it for A.
func TestTwoInstancesShareSessions(t *testing.T) {
	redis := "redis://" + redistest.Start(t) + "/0"
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	a, _ := startCLI(t, "-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--store", redis)
	b, _ := startCLI(t, "-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--store", redis)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+a+"/mcp", mcptest.ClientOptions{DisableStandaloneSSE: true})
	session := cs.ID()
	version := cs.InitializeResult().ProtocolVersion
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	send := func(addr, method, body string) (int, string) {
		req, _ := http.NewRequest(method, "http://"+addr+"/mcp", strings.NewReader(body))
		req.Header.Set("Mcp-Session-Id", session)
		req.Header.Set("MCP-Protocol-Version", version)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	status, body := send(b, "POST", `{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"echo","arguments":{"text":"via B"}}}`)
	if status != 200 || !strings.Contains(body, "via B") {
		t.Fatalf("a call through B on A's session: %d %s", status, body)
	}
	if status, body := send(b, "DELETE", ""); status/100 != 2 {
		t.Fatalf("DELETE through B: %d %s", status, body)
	}
	if status, _ := send(a, "POST", `{"jsonrpc":"2.0","id":78,"method":"tools/list"}`); status != http.StatusNotFound {
		t.Errorf("after DELETE through B, A answered %d, want 404", status)
	}
}

// TestDeadRedisIsNamedAtStart: with --store pointing at a Redis that does
// not answer, mcpscope still serves, and says at once which store is down
// and what that means, instead of leaving the first client to find out.
func TestDeadRedisIsNamedAtStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens here now
	found, _ := startCLIWaiting(t, []string{"-u", "http://127.0.0.1:1/mcp", "--headless", "-l", "127.0.0.1:0", "--store", "redis://" + dead + "/0"},
		`warning: (session store \(redis\) at redis://\S+: .*refused.*)`, `listening on http://(\S+)`)
	if !strings.Contains(found[0], "until it answers") {
		t.Errorf("the warning does not say what a dead store means: %q", found[0])
	}
}
