package proxy_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/oauthtest"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// recordTo records everything p publishes, redacted as mcpscope records
// by default, until the test ends; the bytes are complete once wait
// returns.
func recordTo(t *testing.T, p *proxy.Proxy) (buf *bytes.Buffer, wait func()) {
	t.Helper()
	buf = new(bytes.Buffer)
	sub := p.Bus.SubscribeLossless(64 << 20)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- record.Record(ctx, sub, buf, record.NewHeader("test", true), record.NewRedactor(nil)) }()
	var once sync.Once
	wait = func() {
		once.Do(func() {
			// Let the recorder drain what was published, then stop it.
			deadline := time.Now().Add(10 * time.Second)
			for sub.Queued() > 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond)
			cancel()
			if err := <-done; err != nil {
				t.Errorf("recording: %v", err)
			}
			sub.Close()
		})
	}
	t.Cleanup(wait)
	return buf, wait
}

// TestOAuthThroughMcpscope: go-sdk's OAuth client, which validates the
// protected-resource metadata (RFC 9728, section 3.3: resource must be the
// URL it connected to), completes the authorization-code flow with a
// go-sdk server behind go-sdk's bearer middleware, through mcpscope:
// mcpscope moves the challenge's resource_metadata and the document's
// resource to its own URL, passes the token through, shows both steps,
// and records no token.
func TestOAuthThroughMcpscope(t *testing.T) {
	as := oauthtest.StartAS(t)
	up := oauthtest.StartProtected(t, as, func(_, aud string) bool { return aud != "" }) // a server that does not check audiences
	hs := startProxy(t, up.URL, nil)
	recording, stopRecording := recordTo(t, hs.Proxy)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	httpClient := &http.Client{Transport: &http.Transport{}}
	defer httpClient.CloseIdleConnections()
	client := mcp.NewClient(&mcp.Implementation{Name: "oauth-client", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp", OAuthHandler: oauthtest.Client(t), HTTPClient: httpClient}, nil)
	if err != nil {
		t.Fatalf("connecting through mcpscope: %v", err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"Text": "authorized"}})
	if err != nil {
		t.Fatalf("calling a tool: %v", err)
	}
	if got := res.Content[0].(*mcp.TextContent).Text; got != "authorized" {
		t.Fatalf("echo = %q", got)
	}
	cs.Close()

	// The token's audience is what the client was told the resource is:
	// mcpscope's URL (RFC 8707).
	issued := as.Issued()
	if len(issued) != 1 {
		t.Fatalf("issued %d tokens, want 1", len(issued))
	}
	if aud, _ := as.Audience(issued[0]); aud != hs.URL+"/mcp" {
		t.Errorf("token audience %q, want mcpscope's URL %q", aud, hs.URL+"/mcp")
	}

	// The handshake, as observed.
	isOAuth := func(o *proxy.Observation) bool { return o.Type == proxy.TypeOAuth }
	steps := hs.Seen.Await(t, 2, isOAuth)
	var challenge, metadata *proxy.OAuthStep
	for _, o := range steps {
		switch o.OAuth.Step {
		case proxy.OAuthChallenge:
			challenge = o.OAuth
		case proxy.OAuthResourceMetadata:
			metadata = o.OAuth
			if !strings.Contains(o.Body, `"resource":"`+hs.URL+`/mcp"`) {
				t.Errorf("metadata observation's body = %s, want the document as forwarded", o.Body)
			}
		}
	}
	if challenge == nil || metadata == nil {
		t.Fatalf("oauth observations: %+v", steps)
	}
	if challenge.Status != http.StatusUnauthorized || challenge.Original != up.URL+"/.well-known/oauth-protected-resource/mcp" ||
		challenge.Rewritten != hs.URL+"/.well-known/oauth-protected-resource/mcp" || !strings.Contains(challenge.Challenge, `scope="mcp"`) {
		t.Errorf("challenge step = %+v", challenge)
	}
	if metadata.Original != up.URL+"/mcp" || metadata.Rewritten != hs.URL+"/mcp" {
		t.Errorf("metadata step = %+v", metadata)
	}

	// The upstream got the token as the client sent it.
	var sawBearer bool
	for _, o := range hs.Seen.Matching(func(o *proxy.Observation) bool { return o.Type == proxy.TypeHTTP }) {
		if o.HTTP.RequestHeaders != nil && strings.Join(o.HTTP.RequestHeaders["Authorization"], "") == "Bearer "+issued[0] {
			sawBearer = true
		}
	}
	if !sawBearer {
		t.Error("no request went upstream with the client's bearer token unchanged")
	}

	stopRecording()
	if bytes.Contains(recording.Bytes(), []byte(issued[0])) {
		t.Errorf("the recording holds the access token")
	}
	if !bytes.Contains(recording.Bytes(), []byte(`"oauth":{"step":"challenge"`)) || !bytes.Contains(recording.Bytes(), []byte(`"Authorization":["[redacted]"]`)) {
		t.Errorf("the recording lacks the challenge step or the redacted Authorization header:\n%s", recording.Bytes())
	}
	// Its exports show the handshake: the HAR entry of the metadata fetch
	// holds the document as forwarded and the step; the transcript says
	// what was rewritten.
	var obs []*proxy.Observation
	if err := record.Read(bytes.NewReader(recording.Bytes()), func(o *proxy.Observation) error { obs = append(obs, o); return nil }); err != nil {
		t.Fatal(err)
	}
	var sawEntry bool
	for _, e := range (record.Exporter{}).HAR(obs).Log.Entries {
		if len(e.OAuth) == 1 && e.OAuth[0].Step == proxy.OAuthResourceMetadata {
			sawEntry = strings.Contains(e.Response.Content.Text, `"resource":"`+hs.URL+`/mcp"`)
		}
	}
	if !sawEntry {
		t.Error("no HAR entry for the metadata fetch with its document and step")
	}
	var md bytes.Buffer
	if err := record.Export(&md, obs, "markdown"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "oauth `401 challenge: resource_metadata "+up.URL) {
		t.Errorf("the transcript lacks the challenge:\n%s", md.String())
	}
}

// TestOAuthKeptIsRefused: with the rewriting off (--oauth-resource
// upstream), the same client refuses the upstream's metadata (its resource
// names the upstream, not the URL the client connected to) and cannot
// connect: what every client that validates the metadata met before.
func TestOAuthKeptIsRefused(t *testing.T) {
	as := oauthtest.StartAS(t)
	up := oauthtest.StartProtected(t, as, func(_, aud string) bool { return aud != "" })
	hs := startProxy(t, up.URL, func(p *proxy.Proxy) { p.KeepOAuthResource = true })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	httpClient := &http.Client{Transport: &http.Transport{}}
	defer httpClient.CloseIdleConnections()
	client := mcp.NewClient(&mcp.Implementation{Name: "oauth-client", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp", OAuthHandler: oauthtest.Client(t), HTTPClient: httpClient}, nil)
	if err == nil {
		cs.Close()
		t.Fatal("connected with the upstream's resource in the metadata; a validating client must refuse it")
	}
	steps := hs.Seen.Await(t, 2, func(o *proxy.Observation) bool { return o.Type == proxy.TypeOAuth })
	for _, o := range steps {
		if o.OAuth.Rewritten != "" || !strings.Contains(o.OAuth.Note, "--oauth-resource upstream") {
			t.Errorf("kept step = %+v", o.OAuth)
		}
	}
	if len(steps) < 2 {
		t.Errorf("oauth observations: %d, want the challenge and the metadata", len(steps))
	}
}

// TestOAuthAudienceCheckedByUpstream: an upstream that checks the token's
// audience against its own URL (as the specification says a server MUST)
// refuses the token bound to mcpscope's URL; the client cannot connect,
// and the 401 of the refused token is observed with a note saying why.
func TestOAuthAudienceCheckedByUpstream(t *testing.T) {
	as := oauthtest.StartAS(t)
	up := oauthtest.StartProtected(t, as, func(self, aud string) bool { return aud == self+"/mcp" })
	hs := startProxy(t, up.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	httpClient := &http.Client{Transport: &http.Transport{}}
	defer httpClient.CloseIdleConnections()
	client := mcp.NewClient(&mcp.Implementation{Name: "oauth-client", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp", OAuthHandler: oauthtest.Client(t), HTTPClient: httpClient}, nil)
	if err == nil {
		cs.Close()
		t.Fatal("connected, though the upstream refuses tokens bound to another audience")
	}
	if ctx.Err() != nil {
		t.Fatalf("the client gave up by timeout, not by refusal: %v", err)
	}
	t.Logf("refused as expected: %v", err)
	refused := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Type == proxy.TypeOAuth && o.OAuth.Step == proxy.OAuthChallenge && strings.Contains(o.OAuth.Note, "audience")
	})
	if len(refused) == 0 {
		t.Error("no challenge step noting the token's audience after the upstream refused it")
	}
}

// TestOAuthOnTheServersOriginNotRecorded: a server that names no
// protected-resource metadata and serves the authorization and token
// endpoints itself (the 2025-03-26 specification's fallback, which go-sdk's
// client still follows) has the whole flow go through mcpscope: the
// redirect carrying the authorization code, the token request with the
// code and the PKCE verifier, the token response, the bearer token on
// every request. The flow completes, and the recording holds none of them.
func TestOAuthOnTheServersOriginNotRecorded(t *testing.T) {
	as := oauthtest.NewAS()
	server := mcp.NewServer(&mcp.Implementation{Name: "legacy-auth", Version: "1"}, nil)
	verify := func(ctx context.Context, token string, r *http.Request) (*auth.TokenInfo, error) {
		if _, ok := as.Audience(token); !ok {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{Scopes: []string{"mcp"}, Expiration: time.Now().Add(time.Hour)}, nil
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{Scopes: []string{"mcp"}})(
		mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)))
	as.Routes(mux)
	hs := through(t, mux, nil)
	recording, stopRecording := recordTo(t, hs.Proxy)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	httpClient := &http.Client{Transport: &http.Transport{}}
	defer httpClient.CloseIdleConnections()
	client := mcp.NewClient(&mcp.Implementation{Name: "oauth-client", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp", OAuthHandler: oauthtest.Client(t), HTTPClient: httpClient}, nil)
	if err != nil {
		t.Fatalf("connecting through mcpscope: %v", err)
	}
	if _, err := cs.ListTools(ctx, nil); err != nil {
		t.Fatalf("listing tools: %v", err)
	}
	cs.Close()

	// The token endpoint was reached through mcpscope.
	if got := hs.Seen.Matching(func(o *proxy.Observation) bool {
		return o.Type == proxy.TypeHTTP && strings.HasSuffix(o.HTTP.URL, "/token")
	}); len(got) != 1 {
		t.Fatalf("%d token requests through mcpscope, want 1", len(got))
	}
	stopRecording()
	secrets := as.Secrets()
	if len(secrets) != 3 {
		t.Fatalf("the authorization server saw %d secrets (code, verifier, token), want 3", len(secrets))
	}
	for _, s := range secrets {
		if s == "" || bytes.Contains(recording.Bytes(), []byte(s)) {
			t.Errorf("the recording holds a secret of the flow (%.6s…)", s)
		}
	}
	for _, want := range []string{`code=[redacted]`, `code_verifier=[redacted]`, `access_token\":\"[redacted]`} {
		if !bytes.Contains(recording.Bytes(), []byte(want)) {
			t.Errorf("the recording lacks %s", want)
		}
	}
}
