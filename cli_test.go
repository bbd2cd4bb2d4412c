package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

func TestVersionHelpAndErrors(t *testing.T) {
	cases := []struct {
		args        []string
		status      int
		out, errOut string
	}{
		{[]string{"version"}, 0, "mcpscope ", ""},
		{[]string{"--version"}, 0, "mcpscope ", ""},
		{[]string{"--help"}, 0, "Examples:", ""},
		{[]string{"help"}, 0, "MCPSCOPE_NAME", ""},
		{[]string{"demo", "--help"}, 0, "mcpscope demo", ""},
		{nil, 2, "", "no upstream: give the MCP server's URL with -u"},
		{[]string{"-u", "ftp://x"}, 2, "", "want an http:// or https:// URL"},
		{[]string{"--bogus"}, 2, "", "unknown flag: --bogus"},
		{[]string{"demo", "--server", "carrier-pigeon"}, 2, "", "unknown server kind"},
		{[]string{"-u", "http://127.0.0.1:1/mcp", "--theme", "sepia"}, 2, "", "the theme is auto, dark or light"},
		{[]string{"open", "--theme", "sepia", "x.jsonl"}, 2, "", "the theme is auto, dark or light"},
		{[]string{"open"}, 2, "", "mcpscope open: want one recording FILE, got 0 arguments"},
		{[]string{"open", "--help"}, 0, "--no-mouse", ""},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		status := run(context.Background(), c.args, &out, &errOut)
		if status != c.status || !strings.Contains(out.String(), c.out) || !strings.Contains(errOut.String(), c.errOut) {
			t.Errorf("mcpscope %v: status %d, stdout %q, stderr %q; want %d, %q, %q",
				c.args, status, out.String(), errOut.String(), c.status, c.out, c.errOut)
		}
	}
}

// TestDemoHeadless checks that the demo shows live SSE traffic within
// seconds, in headless mode.
func TestDemoHeadless(t *testing.T) {
	_, stdout := startCLI(t, "demo", "--headless", "-l", "127.0.0.1:0", "--every", "50ms")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Count(stdout.String(), `"method":"notifications/progress"`) >= 3 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no live progress events from the demo within 10s; output:\n%.2000s", stdout.String())
}

// TestControlFlag checks that --control serves the API with the given token.
func TestControlFlag(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	addrs, _ := startCLIWaiting(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--control", "127.0.0.1:0", "--control-token", "tok"},
		`listening on http://(\S+)`, `control API on http://(\S+) \(Authorization: Bearer tok\)`)
	for token, want := range map[string]int{"tok": 200, "": 401} {
		req, _ := http.NewRequest("POST", "http://"+addrs[1]+"/api/pause", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("token %q: status %d, want %d", token, resp.StatusCode, want)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

// TestReachable: the "clients use" URL names an address a local client can
// dial, not the unspecified address the proxy bound.
func TestReachable(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:7331": "127.0.0.1:7331",
		"[::]:7331":      "127.0.0.1:7331",
		"0.0.0.0:7331":   "127.0.0.1:7331",
		"192.0.2.2:7331": "192.0.2.2:7331",
		"[fd00::2]:7331": "[fd00::2]:7331",
		"not an address": "not an address",
	} {
		if got := reachable(addr); got != want {
			t.Errorf("reachable(%q) = %q, want %q", addr, got, want)
		}
	}
}
