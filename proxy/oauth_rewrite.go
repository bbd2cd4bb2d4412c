package proxy

import (
	"net/http"
	"net/url"
	"strings"
)

// The URL rewriting of OAuth through mcpscope (oauth.go), as pure
// functions over text: which URLs name the upstream, what mcpscope's
// equivalent is, where a WWW-Authenticate challenge carries
// resource_metadata.

// wellKnownResource is the well-known path of OAuth 2.0 protected-resource
// metadata (RFC 9728, section 3.1): alone for a resource at the root, or
// followed by the resource's path ("/.well-known/oauth-protected-resource/mcp").
const wellKnownResource = "/.well-known/oauth-protected-resource"

// isWellKnownResource reports whether path is the well-known path of
// protected-resource metadata, plain or path-suffixed.
func isWellKnownResource(path string) bool {
	rest, ok := strings.CutPrefix(path, wellKnownResource)
	return ok && (rest == "" || rest[0] == '/')
}

// proxyOrigin is the scheme and authority the client addressed mcpscope by
// ("http://127.0.0.1:7331"): what a URL naming the upstream becomes. The
// Host header has passed the Host guard; "" when the request has none.
func proxyOrigin(r *http.Request) string {
	if r.Host == "" {
		return ""
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// toProxyURL returns raw with its scheme and authority replaced by origin
// when raw is an absolute URL on the upstream's origin (scheme and host
// compared case-insensitively, a default port the same as none), and
// false otherwise. The path, query and fragment are kept as written:
// mcpscope forwards every path unchanged, so the same path on its origin
// is the same resource.
func toProxyURL(raw string, upstream *url.URL, origin string) (string, bool) {
	if upstream == nil || origin == "" {
		return raw, false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || !sameOrigin(u, upstream) {
		return raw, false
	}
	start := strings.Index(raw, "://") + len("://")
	end := len(raw)
	if i := strings.IndexAny(raw[start:], "/?#"); i >= 0 {
		end = start + i
	}
	return origin + raw[end:], true
}

// sameOrigin reports whether a and b have the same scheme, host and port
// (RFC 6454 origins; a port equal to the scheme's default is the same as
// none).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) &&
		effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// span is where a value lies in a text: text[start:end].
type span struct{ start, end int }

// resourceMetadataParams returns where the value of each resource_metadata
// auth-param lies in a WWW-Authenticate field value (RFC 9110, section
// 11.6.1; RFC 9728, section 5.1): the URL alone, without its quotes. The
// name is matched case-insensitively and only where a parameter name can
// begin (not inside a quoted string, not as the tail of another name). A
// quoted value holding a backslash escape is skipped: a URL needs none, and
// splicing one in place could not keep it.
func resourceMetadataParams(v string) []span {
	const name = "resource_metadata"
	var out []span
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			i = skipQuoted(v, i)
			continue
		case i > 0 && !isChallengeSep(v[i-1]):
			continue
		case len(v)-i < len(name) || !strings.EqualFold(v[i:i+len(name)], name):
			continue
		}
		j := skipSpace(v, i+len(name))
		if j >= len(v) || v[j] != '=' {
			continue
		}
		j = skipSpace(v, j+1)
		if j < len(v) && v[j] == '"' {
			end := skipQuoted(v, j)
			if end < len(v) && !strings.Contains(v[j+1:end], `\`) {
				out = append(out, span{j + 1, end})
			}
			i = end
			continue
		}
		end := j
		for end < len(v) && !isChallengeSep(v[end]) {
			end++
		}
		if end > j {
			out = append(out, span{j, end})
		}
		i = end
	}
	return out
}

// isChallengeSep reports whether c separates the parts of a challenge.
func isChallengeSep(c byte) bool { return c == ' ' || c == '\t' || c == ',' }

func skipSpace(v string, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	return i
}

// skipQuoted returns the index of the quote closing the quoted string that
// opens at v[open] (len(v) if it does not close).
func skipQuoted(v string, open int) int {
	for i := open + 1; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(v)
}

// rewriteChallenge returns a WWW-Authenticate value with every
// resource_metadata URL on the upstream's origin moved to origin, and the
// first such URL as it was and as it became ("" when there is none).
func rewriteChallenge(v string, upstream *url.URL, origin string) (out, before, after string) {
	spans := resourceMetadataParams(v)
	if len(spans) == 0 {
		return v, "", ""
	}
	var b strings.Builder
	done := 0
	for _, s := range spans {
		raw := v[s.start:s.end]
		moved, ok := toProxyURL(raw, upstream, origin)
		if before == "" {
			before = raw
			if ok {
				after = moved
			}
		}
		if !ok {
			continue
		}
		b.WriteString(v[done:s.start])
		b.WriteString(moved)
		done = s.end
	}
	if done == 0 {
		return v, before, after
	}
	b.WriteString(v[done:])
	return b.String(), before, after
}
