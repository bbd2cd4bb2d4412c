// Package oauthtest is an OAuth setup for tests, on loopback: a
// hand-written OAuth 2.1 authorization server (RFC 8414 metadata, an
// authorization endpoint that approves at once after checking the request
// carries PKCE's S256 challenge and an RFC 8707 resource, a token endpoint
// that checks the verifier against the challenge and binds the token to the
// resource), a go-sdk MCP server behind go-sdk's bearer-token middleware
// with its protected-resource metadata, and go-sdk's authorization-code
// client, which validates that metadata.
package oauthtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// ClientID is the client the authorization server knows (pre-registered).
const ClientID = "mcpscope-test"

// AS is a hand-written OAuth 2.1 authorization server: RFC 8414
// metadata, an authorization endpoint that approves at once (checking
// PKCE's S256 challenge is there) and a token endpoint that checks the
// verifier against it and binds the token to the RFC 8707 resource.
type AS struct {
	*httptest.Server
	mu      sync.Mutex
	codes   map[string]grant  // authorization code → what it grants
	tokens  map[string]string // access token → its audience (the resource)
	issued  []string          // every access token issued
	secrets []string          // every code, verifier and token it saw or issued
}

// NewAS returns an authorization server without a listener of its own, to
// mount with Routes.
func NewAS() *AS { return &AS{codes: map[string]grant{}, tokens: map[string]string{}} }

// Issued returns the access tokens issued so far.
func (as *AS) Issued() []string {
	as.mu.Lock()
	defer as.mu.Unlock()
	return append([]string(nil), as.issued...)
}

// Secrets returns every authorization code, PKCE verifier and access token
// the server issued or was sent: what must not be recorded.
func (as *AS) Secrets() []string {
	as.mu.Lock()
	defer as.mu.Unlock()
	return append([]string(nil), as.secrets...)
}

type grant struct{ challenge, resource, redirect string }

// StartAS starts an authorization server on loopback, closed at cleanup.
func StartAS(t testing.TB) *AS {
	t.Helper()
	as := NewAS()
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
	as.Routes(mux)
	as.Server = httptest.NewServer(mux)
	t.Cleanup(as.Close)
	return as
}

// Routes adds the authorization and token endpoints to mux (a server that
// is its own authorization server, as the 2025-03-26 specification's
// fallback has it).
func (as *AS) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != ClientID ||
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

// Audience returns the audience of a token the server issued, or false.
func (as *AS) Audience(token string) (string, bool) {
	as.mu.Lock()
	defer as.mu.Unlock()
	aud, ok := as.tokens[token]
	return aud, ok
}

// StartProtected starts a go-sdk MCP server behind go-sdk's bearer-token
// middleware at /mcp, with its protected-resource metadata (naming itself
// and as) at the path-suffixed well-known URL. audienceOK decides whether
// it takes a token bound to that audience.
func StartProtected(t testing.TB, as *AS, audienceOK func(upstream, aud string) bool) *httptest.Server {
	t.Helper()
	server := mcp.NewServer(&mcp.Implementation{Name: "protected", Version: "1"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "echo"}, func(ctx context.Context, req *mcp.CallToolRequest, in struct{ Text string }) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text}}}, nil, nil
	})
	var self string // the upstream's own URL, once it listens
	verify := func(ctx context.Context, token string, r *http.Request) (*auth.TokenInfo, error) {
		aud, ok := as.Audience(token)
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

// Client is go-sdk's authorization-code handler for a pre-registered
// public client, its browser a GET of the authorization URL whose redirect
// is read, not followed.
func Client(t testing.TB) *auth.AuthorizationCodeHandler {
	t.Helper()
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(browser.CloseIdleConnections)
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		PreregisteredClient: &oauthex.ClientCredentials{ClientID: ClientID},
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
