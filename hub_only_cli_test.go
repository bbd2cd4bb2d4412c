package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestHubOnlyShowsWrappedSessions: mcpscope hub, with no HTTP server to
// proxy, is a hub: a go-sdk client launching its stdio server through
// mcpscope wrap gets what a direct launch gets, the hub prints every
// message.
func TestHubOnlyShowsWrappedSessions(t *testing.T) {
	h := &hubCLI{sock: filepath.Join(t.TempDir(), "hub.sock"), token: "test-token"}
	found, stdout := startCLIWaiting(t, []string{"hub", "--headless", "--hub", h.sock, "--control", "127.0.0.1:0", "--control-token", h.token},
		`hub on (\S+) `, `(hub only), no HTTP upstream`, `control API on http://(\S+) `)
	h.api, h.stdout = "http://"+found[2], stdout
	server := mcptest.StdioServerCommand("sdk")
	direct := runSDK(t, server, nil)
	wrapped := runSDK(t, mcpscopeCommand(append([]string{"wrap", "--hub", h.sock, "--"}, server...)...), nil)
	if wrapped != direct {
		t.Errorf("through wrap and mcpscope hub: %+v; direct: %+v", wrapped, direct)
	}
	if c2s, s2c := h.messages(t, 12); len(c2s) == 0 || len(s2c) == 0 {
		t.Errorf("the hub printed %d client→server and %d server→client messages, want both", len(c2s), len(s2c))
	}
}

// TestHubOnlyNeedsItsSocket: a second mcpscope hub on a socket a live hub
// holds exits with an error saying so (the proxy would only warn).
func TestHubOnlyNeedsItsSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "hub.sock")
	startCLIWaiting(t, []string{"hub", "--headless", "--hub", sock}, `(hub only)`)
	var stderr bytes.Buffer
	status := run(context.Background(), []string{"hub", "--headless", "--hub", sock}, io.Discard, &stderr)
	if status == 0 || !strings.Contains(stderr.String(), "another mcpscope is the hub on "+sock) || !strings.Contains(stderr.String(), "no hub on") {
		t.Errorf("a second hub on the same socket: status %d, stderr %q; want an error naming the socket", status, stderr.String())
	}
}

// TestHubOnlyHTTPSaysWhy: a request to mcpscope hub's HTTP side gets 404
// with why, not a proxied answer.
func TestHubOnlyHTTPSaysWhy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port: mcpscope hub does not print its ephemeral one
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	startCLIWaiting(t, []string{"hub", "--headless", "--hub", filepath.Join(t.TempDir(), "hub.sock"), "-l", addr}, `(hub only)`)
	resp, err := http.Post("http://"+addr+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "proxies no HTTP server") {
		t.Errorf("POST to mcpscope hub: %d %q, want 404 saying it proxies nothing", resp.StatusCode, body)
	}
}
