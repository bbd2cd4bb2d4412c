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

// TestTwoInstancesShareSessions runs two mcpscope instances on one real
// Redis, deployed each way --store reaches (one server, a cluster of three,
// a master through its Sentinel, and each over TLS with a private CA): a
// session
// initialized through A is used through B, and a DELETE through B ends it
// for A.
func TestTwoInstancesShareSessions(t *testing.T) {
	for name, store := range map[string]func(t *testing.T) []string{
		"redis-server": func(t *testing.T) []string { return []string{"redis://" + redistest.Start(t) + "/0"} },
		"cluster": func(t *testing.T) []string {
			return []string{"redis+cluster://" + strings.Join(redistest.StartCluster(t, 3), ",")}
		},
		"sentinel": func(t *testing.T) []string {
			return []string{"redis+sentinel://" + redistest.StartSentinel(t) + "/" + redistest.SentinelMaster}
		},
		"rediss": func(t *testing.T) []string {
			addr, ca := redistest.StartTLS(t)
			return []string{"rediss://" + addr + "/0", "--store-ca-cert", ca}
		},
		"rediss+cluster": func(t *testing.T) []string {
			addrs, ca := redistest.StartTLSCluster(t, 3)
			return []string{"rediss+cluster://" + strings.Join(addrs, ","), "--store-ca-cert", ca}
		},
		"rediss+sentinel": func(t *testing.T) []string {
			addr, ca := redistest.StartTLSSentinel(t)
			return []string{"rediss+sentinel://" + addr + "/" + redistest.SentinelMaster, "--store-ca-cert", ca}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // a cluster takes two seconds to form: the others meanwhile
			twoInstancesShareSessions(t, store(t))
		})
	}
}

func twoInstancesShareSessions(t *testing.T, store []string) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	args := append([]string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--store"}, store...)
	a, _ := startCLI(t, args...)
	b, _ := startCLI(t, args...)
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

// TestBadStoreIsRefused: a malformed --store URL, or a CA file that is
// missing or for a store without TLS, stops mcpscope at start (status 2)
// with the wrong part named and no password shown.
func TestBadStoreIsRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--store", "redis+sentinel://app:hunter2@10.0.0.1:26379"}, `--store: session store redis+sentinel://app:xxxxx@10.0.0.1:26379: path "": want /MASTER`},
		{[]string{"--store", "redis://app:hunter2@10.0.0.1:6379/0?dial_timout=2s"}, "unexpected option: dial_timout"},
		{[]string{"--store", "memcached://10.0.0.1"}, "want memory or a Redis URL"},
		{[]string{"--store", "memory", "--store-ca-cert", "ca.pem"}, "--store-ca-cert: only a rediss:// --store uses TLS"},
		{[]string{"--store", "redis://127.0.0.1:1/0", "--store-ca-cert", "/nonexistent/ca.pem"}, "--store-ca-cert: open /nonexistent/ca.pem"},
		{[]string{"--store", "redis://127.0.0.1:1/0", "--store-ca-cert", "go.mod"}, "--store-ca-cert go.mod: no PEM certificate"},
	} {
		status, _, stderr := runCLI("-u", append([]string{"http://127.0.0.1:1/mcp", "--headless", "-l", "127.0.0.1:0"}, c.args...)...)
		if status != 2 || !strings.Contains(stderr, c.says) || strings.Contains(stderr, "hunter2") {
			t.Errorf("%q: status %d, stderr %q; want 2 saying %q, no password", c.args, status, stderr, c.says)
		}
	}
}
