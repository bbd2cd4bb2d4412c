package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/oauthtest"
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

// TestOAuthThroughTheCLI: go-sdk's OAuth client completes the flow with an
// OAuth-protected go-sdk server through mcpscope as users run it
// (--headless, --record): the headless lines show both steps, rewritten,
// and neither output holds the token. With --oauth-resource upstream the
// same client refuses the metadata.
func TestOAuthThroughTheCLI(t *testing.T) {
	for _, mode := range []string{"proxy", "upstream"} {
		t.Run(mode, func(t *testing.T) {
			as := oauthtest.StartAS(t)
			up := oauthtest.StartProtected(t, as, func(_, aud string) bool { return aud != "" })
			file := filepath.Join(t.TempDir(), "oauth.jsonl")
			addrs, stdout, stop := startCLIStoppable(t, []string{"-u", up.URL + "/mcp", "--headless", "-l", "127.0.0.1:0", "--hub", "off",
				"--record", file, "--oauth-resource", mode}, `listening on http://(\S+)`)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			client := mcp.NewClient(&mcp.Implementation{Name: "oauth-cli", Version: "1"}, nil)
			cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: "http://" + addrs[0] + "/mcp",
				OAuthHandler: oauthtest.Client(t), HTTPClient: &http.Client{Transport: tr}}, nil)
			if mode == "upstream" {
				if err == nil {
					cs.Close()
					t.Fatal("connected although the metadata names the upstream")
				}
				stop()
				if !strings.Contains(stdout.String(), `"note":"kept as the upstream sent it (--oauth-resource upstream)"`) {
					t.Errorf("the headless output does not say the challenge was kept:\n%s", stdout.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("connecting through mcpscope: %v", err)
			}
			if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"Text": "hi"}}); err != nil {
				t.Fatal(err)
			}
			cs.Close()
			stop()
			out := stdout.String()
			for _, want := range []string{
				`"type":"oauth"`,
				`"rewritten":"http://` + addrs[0] + `/.well-known/oauth-protected-resource/mcp"`,
				`"original":"` + up.URL + `/mcp","rewritten":"http://` + addrs[0] + `/mcp"`,
			} {
				if !strings.Contains(out, want) {
					t.Errorf("the headless output lacks %s:\n%s", want, out)
				}
			}
			recorded, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			tokens := as.Issued()
			if len(tokens) != 1 {
				t.Fatalf("%d tokens issued, want 1", len(tokens))
			}
			if strings.Contains(out, tokens[0]) || bytes.Contains(recorded, []byte(tokens[0])) {
				t.Error("the headless output or the recording holds the access token")
			}
		})
	}
}
