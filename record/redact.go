package record

import (
	"maps"
	"slices"
	"strings"

	"github.com/mcpscope/mcpscope/proxy"
)

// Redacted replaces what is redacted.
const Redacted = "[redacted]"

// DefaultSecretPatterns: a header or URL query parameter whose name
// contains one of these (case-insensitive) has its value redacted, unless
// it is one of DefaultKeptNames. They catch Authorization,
// Proxy-Authorization, Cookie, Set-Cookie and X-Api-Key, among others, and
// DPoP (RFC 9449): a proof signed by the client's key, which anyone who
// reads it may replay within its lifetime.
var DefaultSecretPatterns = []string{"auth", "token", "key", "secret", "cookie", "session", "password", "passwd", "credential", "signature", "dpop"}

// DefaultKeptNames are headers and query parameters kept although a
// pattern matches them. The session ids (Mcp-Session-Id; the legacy
// transport's sessionId, session_id in the Python SDK): a recording's
// headers are those the upstream saw, so its Mcp-Session-Id values are
// the upstream's, not the proxy's; they are kept anyway because a session
// id is a handle on a session, not a credential (the specification: "MUST
// NOT be used for authentication"), and replay and exports regroup by it.
// WWW-Authenticate is a challenge, not a credential: what one reads to
// debug an OAuth flow.
var DefaultKeptNames = []string{"Mcp-Session-Id", "sessionId", "WWW-Authenticate"}

// DefaultSecretParams are query and form parameters redacted by their
// whole name (compared as JSON member names are), besides those
// DefaultSecretPatterns catch: OAuth's one-time credentials, which pass
// through mcpscope when an authorization server shares the MCP server's
// origin (an authorization code in a redirect's Location and in the token
// request, the PKCE verifier, a client assertion).
var DefaultSecretParams = []string{"code", "code_verifier", "assertion", "client_assertion", "device_code"}

// DefaultSecretNames are JSON member names whose string or number values
// are redacted at any depth of a message. Names are compared in lower case
// with '_' and '-' ignored (apiKey, api_key and API-KEY are one), and
// whole: progressToken and nextCursor are not secrets.
var DefaultSecretNames = []string{
	"password", "passwd", "passphrase", "secret", "token",
	"api_key", "api_secret", "api_token", "access_token", "refresh_token", "id_token", "auth_token",
	"bearer_token", "session_token", "authorization", "client_secret", "private_key", "secret_key",
	"secret_access_key",
}

// Redactor removes credentials from observations before they leave the
// process (recordings, exports, --headless, the control API's events):
// header values, query parameter values and user info in URLs, secret
// member names and JSON paths of messages (in the body, the raw SSE bytes
// and rule decisions). A Redactor that is not Active (nil, or the zero
// Redactor) changes nothing at all, URLs included; NewRedactor gives the
// defaults, and is the only way to redact messages.
type Redactor struct {
	Headers  []string // header names redacted, case-insensitive
	Patterns []string // headers and query parameters whose name contains one of these (case-insensitive)
	Keep     []string // header and query parameter names never redacted, compared as JSON member names are (case, '_' and '-' ignored)
	Params   []string // query and form parameter names redacted, compared as Keep's are

	json *jsonRedaction // secret member names and --redact-path paths, set by NewRedactor
}

// NewRedactor redacts the defaults (DefaultSecretPatterns,
// DefaultKeptNames, DefaultSecretNames) and the given JSON paths (dotted,
// e.g. params.arguments.password or params.list.*.key; see jsonRedaction).
func NewRedactor(paths []string) *Redactor {
	j := &jsonRedaction{lastKeys: map[string]bool{}}
	for _, n := range DefaultSecretNames {
		j.addName(n)
	}
	for _, p := range paths {
		segs := compilePath(p)
		j.paths = append(j.paths, segs)
		j.longest = max(j.longest, len(segs))
		if k := lastKey(segs); k != "" {
			j.lastKeys[k] = true
		}
	}
	return &Redactor{Patterns: DefaultSecretPatterns, Keep: DefaultKeptNames, Params: DefaultSecretParams, json: j}
}

// Active reports whether r redacts anything.
func (r *Redactor) Active() bool {
	return r != nil && (len(r.Headers)+len(r.Patterns)+len(r.Params) > 0 || r.json != nil)
}

// Apply returns o with credentials redacted: o itself when there is
// nothing to redact, else a copy. o is never modified: observations are
// shared, and a borrowed or recycled one may be read by others (or reused)
// once the batch is done, which the copy, used within the batch, is not.
func (r *Redactor) Apply(o *proxy.Observation) *proxy.Observation {
	if !r.Active() {
		return o
	}
	var c *proxy.Observation
	edit := func() *proxy.Observation {
		if c == nil {
			v := *o
			c = &v
		}
		return c
	}
	if h := o.HTTP; h != nil {
		if hc, ok := r.exchange(h); ok {
			edit().HTTP = hc
		}
	}
	body, bodyChanged := r.message(o.Body)
	if bodyChanged {
		edit().Body = body
	}
	if o.EventType == "endpoint" && o.Body == "" && o.Raw != "" { // the legacy transport's message URL
		if raw, ok := r.endpoint(o.Raw); ok {
			edit().Raw = raw
		}
	} else if o.Raw != "" {
		if raw, dropped, ok := r.eventRaw(o.Raw, o.Body, body, slices.Contains(o.Flags, "oversized")); ok {
			c := edit()
			c.Raw = raw
			if dropped {
				c.Flags = append(slices.Clip(o.Flags), "raw_redacted")
			}
		}
	}
	if d := o.Decision; d != nil {
		before, b := r.message(d.Before)
		after, a := r.message(d.After)
		if a || b {
			dc := *d
			dc.Before, dc.After = before, after
			edit().Decision = &dc
		}
	}
	if o.Reason != "" {
		if reason, ok := r.urlsIn(o.Reason); ok {
			edit().Reason = reason
		}
	}
	if a := o.OAuth; a != nil {
		if ac, ok := r.oauth(a); ok {
			edit().OAuth = ac
		}
	}
	if c == nil {
		return o
	}
	return c
}

// oauth returns an OAuth step with the URLs in it redacted as URL does,
// or a and false when nothing is.
func (r *Redactor) oauth(a *proxy.OAuthStep) (*proxy.OAuthStep, bool) {
	u, c1 := r.URL(a.URL)
	ch, c2 := r.urlsIn(a.Challenge)
	orig, c3 := r.URL(a.Original)
	re, c4 := r.URL(a.Rewritten)
	if !c1 && !c2 && !c3 && !c4 {
		return a, false
	}
	ac := *a
	ac.URL, ac.Challenge, ac.Original, ac.Rewritten = u, ch, orig, re
	return &ac, true
}

// message redacts a message's text: a JSON-RPC message, or any body
// published as one (an OAuth token request's form, say; see form).
func (r *Redactor) message(msg string) (string, bool) {
	if r.json == nil || msg == "" {
		return msg, false
	}
	if isForm(msg) {
		return r.query(msg)
	}
	return r.json.redact(msg)
}

// exchange returns h with its URL, error and headers redacted, or h and
// false when nothing is.
func (r *Redactor) exchange(h *proxy.HTTPExchange) (*proxy.HTTPExchange, bool) {
	u, urlChanged := r.URL(h.URL)
	e, errChanged := r.urlsIn(h.Error)
	req, reqChanged := r.headers(h.RequestHeaders)
	resp, respChanged := r.headers(h.ResponseHeaders)
	if !urlChanged && !errChanged && !reqChanged && !respChanged {
		return h, false
	}
	hc := *h
	hc.URL, hc.Error, hc.RequestHeaders, hc.ResponseHeaders = u, e, req, resp
	return &hc, true
}

// headers returns h with the values of secret headers replaced and the
// URLs in the others redacted (see headerValue), a copy, or h and false
// when there is nothing to redact.
func (r *Redactor) headers(h map[string][]string) (map[string][]string, bool) {
	var out map[string][]string
	for k, v := range h {
		var red []string
		if r.secretParam(k, true) {
			red = make([]string, len(v))
			for i := range red {
				red[i] = Redacted
			}
		} else {
			for i, val := range v {
				if rv, ok := r.headerValue(k, val); ok {
					if red == nil {
						red = slices.Clone(v)
					}
					red[i] = rv
				}
			}
			if red == nil {
				continue
			}
		}
		if out == nil {
			out = maps.Clone(h)
		}
		out[k] = red
	}
	if out == nil {
		return h, false
	}
	return out, true
}

// headerValue redacts the URLs in a header's value: the whole value of
// one that is a URL, absolute or relative (Location, Content-Location,
// Referer), each <URI-reference> of a Link, and any absolute URL in the
// others (a WWW-Authenticate's resource_metadata, say).
func (r *Redactor) headerValue(name, value string) (string, bool) {
	switch {
	case strings.EqualFold(name, "Location") || strings.EqualFold(name, "Content-Location") || strings.EqualFold(name, "Referer"):
		return r.URL(value)
	case strings.EqualFold(name, "Link"):
		return r.linkURLs(value)
	}
	return r.urlsIn(value)
}

// linkURLs redacts each <URI-reference> of a Link header's value.
func (r *Redactor) linkURLs(value string) (string, bool) {
	var b strings.Builder
	changed := false
	rest := value
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			break
		}
		u, ok := r.URL(rest[i+1 : i+j])
		b.WriteString(rest[:i+1])
		b.WriteString(u)
		changed = changed || ok
		rest = rest[i+j:]
	}
	if !changed {
		return value, false
	}
	b.WriteString(rest)
	return b.String(), true
}

// secretParam reports whether a header (header true) or query parameter
// of this name has its value redacted.
func (r *Redactor) secretParam(name string, header bool) bool {
	for _, k := range r.Keep {
		if sameName(k, name) {
			return false
		}
	}
	if header {
		for _, h := range r.Headers {
			if strings.EqualFold(h, name) {
				return true
			}
		}
	} else {
		for _, p := range r.Params {
			if sameName(p, name) {
				return true
			}
		}
	}
	for _, p := range r.Patterns {
		if containsFold(name, p) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the lower-case ASCII pattern p,
// ignoring case.
func containsFold(s, p string) bool {
	for i := 0; i+len(p) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(p)], p) {
			return true
		}
	}
	return false
}

// SecretHeader reports whether the redactor hides the value of a header of
// this name (copy as curl puts a shell variable in its place).
func (r *Redactor) SecretHeader(name string) bool { return r.secretParam(name, true) }

// SecretParam is SecretHeader for a URL's query parameter.
func (r *Redactor) SecretParam(name string) bool { return r.secretParam(name, false) }
