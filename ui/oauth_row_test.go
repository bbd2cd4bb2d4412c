package ui

import (
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestOAuthStepsAreRows: the auth handshake shows in the traffic list, a
// row per step saying what mcpscope rewrote, and the detail shows the
// upstream's URL beside the one the client got.
func TestOAuthStepsAreRows(t *testing.T) {
	challenge := &proxy.Observation{Type: proxy.TypeOAuth, Exchange: "ex-1", OAuth: &proxy.OAuthStep{Step: proxy.OAuthChallenge, Status: 401,
		URL: "http://up:9/mcp", Challenge: `Bearer resource_metadata="http://up:9/.well-known/oauth-protected-resource/mcp"`,
		Original: "http://up:9/.well-known/oauth-protected-resource/mcp", Rewritten: "http://127.0.0.1:7331/.well-known/oauth-protected-resource/mcp"}}
	metadata := &proxy.Observation{Type: proxy.TypeOAuth, Exchange: "ex-2", Body: `{"resource":"http://127.0.0.1:7331/mcp"}`, OAuth: &proxy.OAuthStep{Step: proxy.OAuthResourceMetadata,
		Status: 200, URL: "http://up:9/.well-known/oauth-protected-resource/mcp", Original: "https://elsewhere/mcp",
		Note: "resource is not on the upstream's origin, so it was left alone"}}
	r, ok := rowFor(challenge)
	if !ok {
		t.Fatal("no row for an oauth challenge")
	}
	if line := formatRow(&r, 200); !strings.Contains(line, "oauth 401 challenge: resource_metadata http://up:9/.well-known/oauth-protected-resource/mcp → http://127.0.0.1:7331/") {
		t.Errorf("challenge row = %q", line)
	}
	d := plain(renderDetail(challenge))
	for _, want := range []string{"── OAuth ──", "upstream named   http://up:9/.well-known", "client got       http://127.0.0.1:7331/.well-known", "WWW-Authenticate (upstream's): Bearer"} {
		if !strings.Contains(d, want) {
			t.Errorf("challenge detail lacks %q:\n%s", want, d)
		}
	}
	r, ok = rowFor(metadata)
	if !ok {
		t.Fatal("no row for a metadata document")
	}
	if line := formatRow(&r, 200); !strings.Contains(line, "oauth resource metadata: resource https://elsewhere/mcp (left alone)") {
		t.Errorf("metadata row = %q", line)
	}
	d = plain(renderDetail(metadata))
	for _, want := range []string{"client got it unchanged", "left alone", `"resource"`} {
		if !strings.Contains(d, want) {
			t.Errorf("metadata detail lacks %q:\n%s", want, d)
		}
	}
}
