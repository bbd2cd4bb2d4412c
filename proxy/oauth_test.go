package proxy_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
)

// get fetches path through the proxy and returns the body, failing the
// test on a transport error.
func get(t *testing.T, hs *harness, path string) (*http.Response, string) {
	t.Helper()
	resp, err := hs.Client.Get(hs.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func oauthSteps(t *testing.T, hs *harness, n int) []*proxy.OAuthStep {
	t.Helper()
	var out []*proxy.OAuthStep
	for _, o := range hs.Seen.Await(t, n, func(o *proxy.Observation) bool { return o.Type == proxy.TypeOAuth }) {
		out = append(out, o.OAuth)
	}
	if len(out) < n {
		t.Fatalf("%d oauth observations, want %d", len(out), n)
	}
	return out
}

// TestMetadataRewriteKeepsTheRestByteForByte: only the resource value
// changes; spacing, member order, escapes and unknown members are the
// upstream's.
func TestMetadataRewriteKeepsTheRestByteForByte(t *testing.T) {
	var doc string
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		io.WriteString(w, doc)
	}), nil)
	upURL := strings.Replace(hs.Upstream.URL, "http://", "HTTP://", 1) // scheme in capitals: still the upstream's origin
	doc = "{\n  \"authorization_servers\" : [ \"https://as.example\" ],\n  \"resource\" :  \"" + upURL + "\" ,\n  \"x-vendor\": {\"é\": \"\\u00e9\\/\"},\n  \"resource_name\": \"resource\"\n}\n"
	for _, path := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/deep/mcp"} {
		resp, got := get(t, hs, path)
		want := strings.Replace(doc, upURL, hs.URL, 1)
		if got != want {
			t.Errorf("GET %s:\n got %q\nwant %q", path, got, want)
		}
		if resp.ContentLength != int64(len(want)) {
			t.Errorf("Content-Length %d, want %d", resp.ContentLength, len(want))
		}
	}
	for _, s := range oauthSteps(t, hs, 2) {
		if s.Step != proxy.OAuthResourceMetadata || s.Original != upURL || s.Rewritten != hs.URL || s.Note != "" {
			t.Errorf("step = %+v", s)
		}
	}
	// A path that only starts like the well-known one is not metadata.
	_, got := get(t, hs, "/.well-known/oauth-protected-resourcefoo")
	if got != doc {
		t.Errorf("a lookalike path was rewritten: %q", got)
	}
}

// TestMetadataLeftAlone: a resource on another origin, a document that
// is not JSON or has no resource, and signed metadata are forwarded as the
// upstream sent them, and the step says why.
func TestMetadataLeftAlone(t *testing.T) {
	docs := map[string]string{
		"/.well-known/oauth-protected-resource/other":   `{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://as.example"]}`,
		"/.well-known/oauth-protected-resource/invalid": `{"resource":`,
		"/.well-known/oauth-protected-resource/none":    `{"authorization_servers":["https://as.example"]}`,
	}
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, docs[r.URL.Path])
	}), nil)
	notes := map[string]string{}
	for path, doc := range docs {
		if _, got := get(t, hs, path); got != doc {
			t.Errorf("GET %s = %q, want it unchanged", path, got)
		}
	}
	for _, s := range oauthSteps(t, hs, len(docs)) {
		if s.Rewritten != "" {
			t.Errorf("step = %+v, want nothing rewritten", s)
		}
		notes[s.URL[strings.LastIndexByte(s.URL, '/')+1:]] = s.Note
	}
	for name, want := range map[string]string{"other": "not on the upstream's origin (" + hs.Upstream.URL + "), so it was left alone: a client that validates it against mcpscope's URL will refuse it; if https://mcp.example.com is the same server, give -u with that origin", "invalid": "not valid JSON", "none": "no resource"} {
		if !strings.Contains(notes[name], want) {
			t.Errorf("note for %s = %q, want it to say %q", name, notes[name], want)
		}
	}
}

func TestSignedMetadataNoted(t *testing.T) {
	var doc string
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, doc)
	}), nil)
	doc = `{"resource":"` + hs.Upstream.URL + `/mcp","signed_metadata":"eyJ.x.y"}`
	_, got := get(t, hs, "/.well-known/oauth-protected-resource/mcp")
	if got != `{"resource":"`+hs.URL+`/mcp","signed_metadata":"eyJ.x.y"}` {
		t.Errorf("got %s", got)
	}
	if s := oauthSteps(t, hs, 1)[0]; !strings.Contains(s.Note, "signed_metadata") {
		t.Errorf("note = %q", s.Note)
	}
}

// TestMetadataAtAChallengedPath: an upstream whose challenge names its
// metadata at a path of its own choosing gets that path's document
// rewritten too; a 403 insufficient_scope challenge is rewritten as a 401's
// is.
func TestMetadataAtAChallengedPath(t *testing.T) {
	var self string
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/mcp":
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="admin", resource_metadata="`+self+`/oauth/prm.json"`)
			w.WriteHeader(http.StatusForbidden)
		case "/oauth/prm.json":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"resource":"`+self+`/mcp","authorization_servers":["https://as.example"]}`)
		}
	}), nil)
	self = hs.Upstream.URL
	// Before any challenge named it, the path is not known for metadata.
	if _, got := get(t, hs, "/oauth/prm.json"); !strings.Contains(got, self) {
		t.Errorf("an unannounced path was rewritten: %s", got)
	}
	resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := `Bearer error="insufficient_scope", scope="admin", resource_metadata="` + hs.URL + `/oauth/prm.json"`
	if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusForbidden || got != want {
		t.Errorf("%d %q, want 403 %q", resp.StatusCode, got, want)
	}
	if _, got := get(t, hs, "/oauth/prm.json"); got != `{"resource":"`+hs.URL+`/mcp","authorization_servers":["https://as.example"]}` {
		t.Errorf("the challenged path's document = %s", got)
	}
	var sawChallenge bool
	for _, s := range oauthSteps(t, hs, 2) {
		if s.Step == proxy.OAuthChallenge {
			sawChallenge = s.Status == http.StatusForbidden && s.Rewritten == hs.URL+"/oauth/prm.json" && strings.Contains(s.Challenge, self)
		}
	}
	if !sawChallenge {
		t.Error("no challenge step for the 403")
	}
}

// TestOversizedMetadataForwardedAsItCame: a document past the bound is
// piped unread, whole.
func TestOversizedMetadataForwardedAsItCame(t *testing.T) {
	var doc string
	hs := through(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, doc)
	}), nil)
	doc = `{"resource":"` + hs.Upstream.URL + `","pad":"` + strings.Repeat("x", 1<<20) + `"}`
	if _, got := get(t, hs, "/.well-known/oauth-protected-resource"); got != doc {
		t.Errorf("oversized document changed: %d bytes, want %d", len(got), len(doc))
	}
	if s := oauthSteps(t, hs, 1)[0]; s.Rewritten != "" || !strings.Contains(s.Note, "as it came") {
		t.Errorf("step = %+v", s)
	}
}
