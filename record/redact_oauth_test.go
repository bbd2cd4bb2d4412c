package record

import (
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestRedactsOAuthFlows: what an OAuth handshake through mcpscope can
// carry is not recorded: the bearer token (Authorization), the
// authorization code in a redirect's Location, the token request's form
// (code, PKCE verifier, client secret, refresh token, client assertion),
// the token response's tokens; the challenge and the metadata are kept.
func TestRedactsOAuthFlows(t *testing.T) {
	r := NewRedactor(nil)
	cases := []struct{ name, in, want string }{
		{"token request",
			"grant_type=authorization_code&code=C1&code_verifier=V1&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&client_id=app&resource=http%3A%2F%2F127.0.0.1%3A7331%2Fmcp",
			"grant_type=authorization_code&code=[redacted]&code_verifier=[redacted]&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&client_id=app&resource=http%3A%2F%2F127.0.0.1%3A7331%2Fmcp"},
		{"refresh with a secret",
			"grant_type=refresh_token&refresh_token=R1&client_id=app&client_secret=S1",
			"grant_type=refresh_token&refresh_token=[redacted]&client_id=app&client_secret=[redacted]"},
		{"client assertion",
			"grant_type=client_credentials&client_assertion_type=urn%3Aietf&client_assertion=eyJ.A.B",
			"grant_type=client_credentials&client_assertion_type=urn%3Aietf&client_assertion=[redacted]"},
		{"token response",
			`{"access_token":"AT1","token_type":"Bearer","expires_in":3600,"refresh_token":"RT1","id_token":"IT1","scope":"mcp"}`,
			`{"access_token":"[redacted]","token_type":"Bearer","expires_in":3600,"refresh_token":"[redacted]","id_token":"[redacted]","scope":"mcp"}`},
		{"metadata is kept",
			`{"resource":"http://127.0.0.1:7331/mcp","authorization_servers":["https://as.example"],"scopes_supported":["mcp"]}`,
			`{"resource":"http://127.0.0.1:7331/mcp","authorization_servers":["https://as.example"],"scopes_supported":["mcp"]}`},
		{"not a form: prose with an equals sign", "a = b & c", "a = b & c"},
	}
	for _, c := range cases {
		o := &proxy.Observation{Type: proxy.TypeMessage, Kind: proxy.KindInvalid, Direction: proxy.ClientToServer, Body: c.in}
		if got := r.Apply(o).Body; got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}

	h := &proxy.HTTPExchange{URL: "http://127.0.0.1:9/authorize?response_type=code&code_challenge=CH&state=st",
		RequestHeaders:  map[string][]string{"Authorization": {"Bearer AT2"}},
		ResponseHeaders: map[string][]string{"Location": {"http://127.0.0.1:1/cb?code=C2&state=st"}, "Www-Authenticate": {`Bearer resource_metadata="http://up/.well-known/oauth-protected-resource", scope="mcp"`}}}
	got := r.Apply(&proxy.Observation{Type: proxy.TypeHTTP, HTTP: h}).HTTP
	if v := got.RequestHeaders["Authorization"][0]; v != Redacted {
		t.Errorf("Authorization = %q", v)
	}
	if v := got.ResponseHeaders["Location"][0]; v != "http://127.0.0.1:1/cb?code=[redacted]&state=st" {
		t.Errorf("Location = %q", v)
	}
	if v := got.ResponseHeaders["Www-Authenticate"][0]; v != h.ResponseHeaders["Www-Authenticate"][0] {
		t.Errorf("WWW-Authenticate = %q, want it kept", v)
	}
	if got.URL != h.URL { // a code_challenge is public
		t.Errorf("URL = %q", got.URL)
	}

	step := &proxy.OAuthStep{Step: proxy.OAuthChallenge, URL: "http://up/mcp?token=T3", Challenge: `Bearer resource_metadata="http://up/m?api_key=K"`, Original: "http://up/m?api_key=K", Rewritten: "http://127.0.0.1:7331/m?api_key=K"}
	oc := r.Apply(&proxy.Observation{Type: proxy.TypeOAuth, OAuth: step}).OAuth
	for _, s := range []string{oc.URL, oc.Challenge, oc.Original, oc.Rewritten} {
		if strings.Contains(s, "T3") || strings.Contains(s, "=K") {
			t.Errorf("OAuth step kept a secret: %+v", oc)
		}
	}
	if step.Original != "http://up/m?api_key=K" {
		t.Error("the shared observation was modified")
	}
}
