package proxy

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// OAuth through mcpscope. An MCP server protected by OAuth answers an
// unauthorized request 401 with a WWW-Authenticate challenge whose
// resource_metadata names its protected-resource metadata (RFC 9728), and
// that document's resource names the server. A client that validates the
// metadata requires resource to be the URL it connected to (RFC 9728,
// section 3.3; the MCP authorization specification, 2025-06-18 and
// 2025-11-25): through mcpscope that is mcpscope's URL, so the upstream's
// document would be refused. mcpscope therefore moves exactly two URLs from
// the upstream's origin to its own (the client's Host), path kept, since
// every path is forwarded unchanged:
//
//   - resource_metadata in any response's WWW-Authenticate (a 401, or a
//     403 insufficient_scope);
//   - resource in the metadata document, fetched through mcpscope at the
//     well-known path (plain or path-suffixed) or at a path a challenge
//     named, with sjson so the rest of the document is byte-identical.
//
// URLs on another origin, authorization servers, tokens (Authorization
// passes through untouched) and everything else are left alone. Both steps
// are published as oauth observations saying what was rewritten.
// Proxy.KeepOAuthResource turns the rewriting off (the steps are still
// published).

// OAuthStep is one step of an OAuth handshake mcpscope saw, on an oauth
// observation.
type OAuthStep struct {
	Step      string `json:"step"`                // OAuthChallenge or OAuthResourceMetadata
	URL       string `json:"url"`                 // the upstream URL of the exchange
	Status    int    `json:"status"`              // its HTTP status
	Challenge string `json:"challenge,omitempty"` // a challenge's WWW-Authenticate, as the upstream sent it
	Original  string `json:"original,omitempty"`  // the URL the upstream named: the resource_metadata, or the document's resource
	Rewritten string `json:"rewritten,omitempty"` // the URL the client got instead ("" when left alone)
	Note      string `json:"note,omitempty"`      // why it was left alone, or what may go wrong next
}

// The steps of OAuthStep.
const (
	OAuthChallenge        = "challenge"         // a response's WWW-Authenticate challenge
	OAuthResourceMetadata = "resource_metadata" // a protected-resource metadata document (RFC 9728)
)

// maxMetadata bounds the metadata documents mcpscope reads to rewrite;
// larger ones are forwarded unread (go-sdk's client reads at most this).
const maxMetadata = 1 << 20

// metadataPaths are paths a challenge's resource_metadata named on the
// upstream's origin other than the well-known ones, so a GET of one is
// known for a metadata fetch; at most maxMetadataPaths are kept.
type metadataPaths struct {
	mu    sync.Mutex
	paths map[string]bool
}

const maxMetadataPaths = 64

func (m *metadataPaths) add(path string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.paths == nil {
		m.paths = map[string]bool{}
	}
	if len(m.paths) < maxMetadataPaths {
		m.paths[path] = true
	}
}

func (m *metadataPaths) has(path string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.paths[path]
}

// oauthUpstream is the upstream a request went to: whose origin the URLs
// to rewrite name.
func (p *Proxy) oauthUpstream(ex *exchange) *url.URL {
	if ex.target != nil {
		return ex.target
	}
	return p.Upstream
}

// oauthChallenge rewrites the resource_metadata of resp's WWW-Authenticate
// challenges (in resp.Header, before it is copied to the client) and
// publishes the step. A response without the header is left alone.
func (p *Proxy) oauthChallenge(r *http.Request, ex *exchange, resp *http.Response) {
	key := http.CanonicalHeaderKey("WWW-Authenticate")
	values := resp.Header[key]
	if len(values) == 0 || !bearerChallenge(values) {
		return // no challenge, or none of OAuth's (Basic, say)
	}
	upstream := p.oauthUpstream(ex)
	step := &OAuthStep{Step: OAuthChallenge, URL: ex.http.URL, Status: resp.StatusCode, Challenge: strings.Join(values, ", ")}
	out := make([]string, len(values))
	changed := false
	for i, v := range values {
		var before, after string
		out[i], before, after = rewriteChallenge(v, upstream, proxyOrigin(r))
		changed = changed || out[i] != v
		if step.Original == "" {
			step.Original, step.Rewritten = before, after
		}
	}
	if u, err := url.Parse(step.Original); err == nil && step.Rewritten != "" && !isWellKnownResource(u.Path) {
		p.oauthPaths.add(u.Path)
	}
	switch {
	case step.Original == "":
		step.Note = "no resource_metadata: the client looks for the metadata at the well-known paths, through mcpscope"
	case step.Rewritten == "":
		step.Note = "resource_metadata is not on the upstream's origin (" + origin(upstream) + "), so it was left alone: a client that validates the metadata will refuse it, its resource naming another server than mcpscope" + sameServerHint(step.Original)
	case p.KeepOAuthResource:
		step.Rewritten = ""
		step.Note = "kept as the upstream sent it (--oauth-resource upstream)"
	default:
		if changed {
			resp.Header[key] = out
		}
	}
	if resp.StatusCode == http.StatusUnauthorized && hasBearer(r.Header) && !p.KeepOAuthResource {
		step.Note = joinNotes(step.Note, "the upstream refused the bearer token the client sent: if the authorization server binds tokens to the resource (RFC 8707), its audience is mcpscope's URL, which a server that checks audiences refuses (see --oauth-resource)")
	}
	p.publishOAuth(ex, step, "")
}

// isResourceMetadata reports whether resp answers a fetch of
// protected-resource metadata: a GET of a well-known path, or of a path a
// challenge named, answered 200.
func (p *Proxy) isResourceMetadata(r *http.Request, resp *http.Response) bool {
	return r.Method == http.MethodGet && resp.StatusCode == http.StatusOK &&
		(isWellKnownResource(r.URL.Path) || p.oauthPaths.has(r.URL.Path))
}

// forwardMetadata forwards a protected-resource metadata document with its
// resource moved to mcpscope's origin, and publishes the step. A document
// larger than maxMetadata, or whose upstream broke off, is forwarded as it
// came.
func (p *Proxy) forwardMetadata(w http.ResponseWriter, r *http.Request, ex *exchange, resp *http.Response) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadata+1))
	step := &OAuthStep{Step: OAuthResourceMetadata, URL: ex.http.URL, Status: resp.StatusCode}
	if err != nil || len(body) > maxMetadata {
		step.Note = "forwarded as it came: larger than " + strconv.Itoa(maxMetadata) + " bytes, or broken off"
		p.publishOAuth(ex, step, "")
		w.WriteHeader(resp.StatusCode)
		p.pipeOrBreak(w, r, ex, io.MultiReader(bytes.NewReader(body), resp.Body))
		return
	}
	body = p.rewriteMetadata(r, ex, body, step)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	if _, err := w.Write(body); err != nil {
		p.logger().Debug("writing client metadata response", "err", err)
	}
	p.publishOAuth(ex, step, string(body))
}

// rewriteMetadata returns the document with its resource moved to
// mcpscope's origin, noting on step what it did.
func (p *Proxy) rewriteMetadata(r *http.Request, ex *exchange, body []byte, step *OAuthStep) []byte {
	if !gjson.ValidBytes(body) {
		step.Note = "not valid JSON: forwarded as it came"
		return body
	}
	res := gjson.GetBytes(body, "resource")
	if res.Type != gjson.String {
		step.Note = "no resource string: forwarded as it came"
		return body
	}
	step.Original = res.Str
	moved, ok := toProxyURL(res.Str, p.oauthUpstream(ex), proxyOrigin(r))
	switch {
	case !ok:
		step.Note = "resource is not on the upstream's origin (" + origin(p.oauthUpstream(ex)) + "), so it was left alone: a client that validates it against mcpscope's URL will refuse it" + sameServerHint(res.Str)
	case p.KeepOAuthResource:
		step.Note = "kept as the upstream sent it (--oauth-resource upstream): a client that validates it will refuse it"
	default:
		out, err := sjson.SetBytes(body, "resource", moved)
		if err != nil {
			step.Note = "rewriting resource: " + err.Error()
			break
		}
		body, step.Rewritten = out, moved
	}
	if gjson.GetBytes(body, "signed_metadata").Exists() {
		step.Note = joinNotes(step.Note, "signed_metadata was left alone (it is signed): a client that uses it (RFC 9728, section 2.2) sees the upstream's resource")
	}
	return body
}

// publishOAuth publishes an oauth observation of ex; body is the metadata
// document as forwarded, if any.
func (p *Proxy) publishOAuth(ex *exchange, step *OAuthStep, body string) {
	if !p.bus().Active() {
		return
	}
	p.bus().Publish(&Observation{Type: TypeOAuth, Session: ex.scope, Exchange: ex.id, OAuth: step, Body: body})
}

// bearerChallenge reports whether a WWW-Authenticate field holds a Bearer
// challenge (RFC 6750, section 3), or names resource_metadata in any.
func bearerChallenge(values []string) bool {
	for _, v := range values {
		if len(resourceMetadataParams(v)) > 0 {
			return true
		}
		for i := 0; i+len("bearer") <= len(v); i++ {
			if v[i] == '"' {
				i = skipQuoted(v, i)
				continue
			}
			if (i == 0 || isChallengeSep(v[i-1])) && strings.EqualFold(v[i:i+len("bearer")], "bearer") &&
				(i+len("bearer") == len(v) || isChallengeSep(v[i+len("bearer")])) {
				return true
			}
		}
	}
	return false
}

// origin returns u's scheme and authority ("http://127.0.0.1:3001").
func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// sameServerHint suggests giving -u by the origin a URL names, in case it
// is the same server under another name (localhost for 127.0.0.1).
func sameServerHint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return "; if " + origin(u) + " is the same server, give -u with that origin"
}

// hasBearer reports whether a request carries a bearer token.
func hasBearer(h http.Header) bool {
	scheme, _, _ := strings.Cut(strings.TrimSpace(h.Get("Authorization")), " ")
	return strings.EqualFold(scheme, "bearer")
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// Summary says the step in one line: what it is, and what was rewritten
// ("401 challenge: resource_metadata http://up/… → http://127.0.0.1:7331/…").
func (s *OAuthStep) Summary() string {
	var what, name string
	switch s.Step {
	case OAuthChallenge:
		what, name = strconv.Itoa(s.Status)+" challenge", "resource_metadata"
	case OAuthResourceMetadata:
		what, name = "resource metadata", "resource"
	default:
		what = s.Step
	}
	switch {
	case s.Original == "" && name != "":
		return what + ": no " + name
	case s.Rewritten == "":
		return what + ": " + name + " " + s.Original + " (left alone)"
	}
	return what + ": " + name + " " + s.Original + " → " + s.Rewritten
}
