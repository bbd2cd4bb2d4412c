package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

// TestOAuthResourceFlag: --oauth-resource upstream keeps OAuth discovery
// as the server sent it, proxy (the default) rewrites it, anything else is
// refused before anything listens.
func TestOAuthResourceFlag(t *testing.T) {
	up, _ := url.Parse("http://127.0.0.1:1/mcp")
	for value, keep := range map[string]bool{"": false, "proxy": false, "upstream": true} {
		o := options{oauthResource: value, storeURL: "memory"}
		p, err := o.newProxy([]*url.URL{up}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("--oauth-resource %q: %v", value, err)
		}
		if p.KeepOAuthResource != keep {
			t.Errorf("--oauth-resource %q: KeepOAuthResource = %v", value, p.KeepOAuthResource)
		}
		p.Store.Close()
	}
	var stderr bytes.Buffer
	status := runProxy(context.Background(), []string{"-u", up.String(), "--headless", "--hub", "off", "--oauth-resource", "server"}, new(bytes.Buffer), &stderr)
	if status != 2 || !strings.Contains(stderr.String(), `--oauth-resource "server": want proxy or upstream`) {
		t.Errorf("status %d, stderr %q", status, stderr.String())
	}
}
