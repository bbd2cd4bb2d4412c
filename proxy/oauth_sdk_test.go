package proxy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// testAS is a hand-written OAuth 2.1 authorization server: RFC 8414
// metadata, an authorization endpoint that approves at once (checking
// PKCE's S256 challenge is there) and a token endpoint that checks the
// verifier against it and binds the token to the RFC 8707 resource.
type testAS struct {
	*httptest.Server
	mu      sync.Mutex
	codes   map[string]grant  // authorization code → what it grants
	tokens  map[string]string // access token → its audience (the resource)
	issued  []string          // every access token issued
	secrets []string          // every code, verifier and token it saw or issued
}

type grant struct{ challenge, resource, redirect string }

func startAS(t *testing.T) *testAS {
	t.Helper()
	as := &testAS{codes: map[string]grant{}, tokens: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                as.URL,
			"authorization_endpoint":                as.URL + "/authorize",
			"token_endpoint":                        as.URL + "/token",
			"response_types_supported":              []string{"code"},
			"grant_types_supported":                 []string{"authorization_code"},
			"code_challenge_methods_supported":      []string{"S256"},
			"token_endpoint_auth_methods_supported": []string{"none"},
		})
	})
	as.routes(mux)
	as.Server = httptest.NewServer(mux)
	t.Cleanup(as.Close)
	return as
}

// routes adds the authorization and token endpoints to mux.
func (as *testAS) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != "mcpscope-test" ||
			q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("resource") == "" {
			http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		code := rand.Text()
		as.mu.Lock()
		as.codes[code] = grant{q.Get("code_challenge"), q.Get("resource"), q.Get("redirect_uri")}
		as.secrets = append(as.secrets, code)
		as.mu.Unlock()
		back, _ := url.Parse(q.Get("redirect_uri"))
		v := back.Query()
		v.Set("code", code)
		v.Set("state", q.Get("state"))
		back.RawQuery = v.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		as.mu.Lock()
		defer as.mu.Unlock()
		as.secrets = append(as.secrets, r.PostForm.Get("code_verifier"))
		g, ok := as.codes[r.PostForm.Get("code")]
		delete(as.codes, r.PostForm.Get("code"))
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case !ok || r.PostForm.Get("grant_type") != "authorization_code":
			writeOAuthError(w, "invalid_grant")
			return
		case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			writeOAuthError(w, "invalid_grant") // PKCE: the verifier does not match the challenge
			return
		case r.PostForm.Get("resource") != g.resource || r.PostForm.Get("redirect_uri") != g.redirect:
			writeOAuthError(w, "invalid_target")
			return
		}
		token := "at-" + rand.Text()
		as.tokens[token] = g.resource
		as.issued = append(as.issued, token)
		as.secrets = append(as.secrets, token)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "mcp"})
	})
}

func writeOAuthError(w http.ResponseWriter, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"error":%q}`, code)
}

// audience returns the audience of a token the server issued, or false.
func (as *testAS) audience(token string) (string, bool) {
	as.mu.Lock()
	defer as.mu.Unlock()
	aud, ok := as.tokens[token]
	return aud, ok
}

// startProtected starts a go-sdk MCP server behind go-sdk's bearer-token
// middleware at /mcp, with its protected-resource metadata (naming itself
// and as) at the path-suffixed well-known URL. audienceOK decides whether
// it takes a token bound to that audience.
func startProtected(t *testing.T, as *testAS, audienceOK func(upstream, aud string) bool) *httptest.Server {
	t.Helper()
	server := mcp.NewServer(&mcp.Implementation{Name: "protected", Version: "1"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "echo"}, func(ctx context.Context, req *mcp.CallToolRequest, in struct{ Text string }) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text}}}, nil, nil
	})
	var self string // the upstream's own URL, once it listens
	verify := func(ctx context.Context, token string, r *http.Request) (*auth.TokenInfo, error) {
		aud, ok := as.audience(token)
		if !ok || !audienceOK(self, aud) {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{Scopes: []string{"mcp"}, Expiration: time.Now().Add(time.Hour)}, nil
	}
	mux := http.NewServeMux()
	up := httptest.NewUnstartedServer(mux)
	up.Start()
	t.Cleanup(up.Close)
	self = up.URL
	mux.Handle("/mcp", auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{
		ResourceMetadataURL: up.URL + "/.well-known/oauth-protected-resource/mcp",
		Scopes:              []string{"mcp"},
	})(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)))
	mux.Handle("/.well-known/oauth-protected-resource/mcp", auth.ProtectedResourceMetadataHandler(&oauthex.ProtectedResourceMetadata{
		Resource:             up.URL + "/mcp",
		AuthorizationServers: []string{as.URL},
		ScopesSupported:      []string{"mcp"},
		ResourceName:         "protected — a test server",
	}))
	return up
}

// oauthClient is go-sdk's authorization-code handler for a pre-registered
// public client, its browser a GET of the authorization URL whose redirect
// is read, not followed.
func oauthClient(t *testing.T) *auth.AuthorizationCodeHandler {
	t.Helper()
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(browser.CloseIdleConnections)
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		PreregisteredClient: &oauthex.ClientCredentials{ClientID: "mcpscope-test"},
		RedirectURL:         "http://127.0.0.1:1/callback",
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, args.URL, nil)
			if err != nil {
				return nil, err
			}
			resp, err := browser.Do(req)
			if err != nil {
				return nil, err
			}
			resp.Body.Close()
			loc, err := resp.Location()
			if err != nil {
				return nil, fmt.Errorf("authorization endpoint answered %s without a redirect", resp.Status)
			}
			return &auth.AuthorizationResult{Code: loc.Query().Get("code"), State: loc.Query().Get("state")}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

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
	as := startAS(t)
	up := startProtected(t, as, func(_, aud string) bool { return aud != "" }) // a server that does not check audiences
	hs := startProxy(t, up.URL, nil)
	recording, stopRecording := recordTo(t, hs.Proxy)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	httpClient := &http.Client{Transport: &http.Transport{}}
	defer httpClient.CloseIdleConnections()
	client := mcp.NewClient(&mcp.Implementation{Name: "oauth-client", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp", OAuthHandler: oauthClient(t), HTTPClient: httpClient}, nil)
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
	as.mu.Lock()
	issued := append([]string(nil), as.issued...)
	as.mu.Unlock()
	if len(issued) != 1 {
		t.Fatalf("issued %d tokens, want 1", len(issued))
	}
	if aud, _ := as.audience(issued[0]); aud != hs.URL+"/mcp" {
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
	as := startAS(t)
	up := startProtected(t, as, func(_, aud string) bool { return aud != "" })
	hs := startProxy(t, up.URL, func(p *proxy.Proxy) { p.KeepOAuthResource = true })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	httpClient := &http.Client{Transport: &http.Transport{}}
	defer httpClient.CloseIdleConnections()
	client := mcp.NewClient(&mcp.Implementation{Name: "oauth-client", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp", OAuthHandler: oauthClient(t), HTTPClient: httpClient}, nil)
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
	as := startAS(t)
	up := startProtected(t, as, func(self, aud string) bool { return aud == self+"/mcp" })
	hs := startProxy(t, up.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	httpClient := &http.Client{Transport: &http.Transport{}}
	defer httpClient.CloseIdleConnections()
	client := mcp.NewClient(&mcp.Implementation{Name: "oauth-client", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp", OAuthHandler: oauthClient(t), HTTPClient: httpClient}, nil)
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
	as := &testAS{codes: map[string]grant{}, tokens: map[string]string{}}
	server := mcp.NewServer(&mcp.Implementation{Name: "legacy-auth", Version: "1"}, nil)
	verify := func(ctx context.Context, token string, r *http.Request) (*auth.TokenInfo, error) {
		if _, ok := as.audience(token); !ok {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{Scopes: []string{"mcp"}, Expiration: time.Now().Add(time.Hour)}, nil
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{Scopes: []string{"mcp"}})(
		mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)))
	as.routes(mux)
	hs := through(t, mux, nil)
	recording, stopRecording := recordTo(t, hs.Proxy)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	httpClient := &http.Client{Transport: &http.Transport{}}
	defer httpClient.CloseIdleConnections()
	client := mcp.NewClient(&mcp.Implementation{Name: "oauth-client", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp", OAuthHandler: oauthClient(t), HTTPClient: httpClient}, nil)
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
	as.mu.Lock()
	secrets := append([]string(nil), as.secrets...)
	as.mu.Unlock()
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
