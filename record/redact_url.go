package record

import (
	"net/url"
	"strings"
)

// URL returns raw with its user info redacted — the password replaced by
// the marker, the user name kept; a lone user name (often a token:
// https://ghp_…@github.com) replaced — and the value of every secret query
// parameter (see Redactor.Patterns) replaced by the marker, the
// parameter's name kept; and whether it changed anything. The rest of the
// text is kept as written. The user info is found in the text, not by
// url.Parse, so a URL that does not parse (a bad port, say, quoted in the
// parse error) has it redacted too. A Redactor that is not Active changes
// nothing.
func (r *Redactor) URL(raw string) (string, bool) {
	if !r.Active() || raw == "" {
		return raw, false
	}
	out, changed := redactUserinfo(raw)
	q := strings.IndexByte(out, '?')
	if q < 0 {
		return out, changed
	}
	end := len(out)
	if h := strings.IndexByte(out[q:], '#'); h >= 0 {
		end = q + h
	}
	query, ok := r.query(out[q+1 : end])
	if !ok {
		return out, changed
	}
	return out[:q+1] + query + out[end:], true
}

// redactUserinfo redacts the user info of the URL in raw: the text
// between "://" and the last '@' before the first '/', '?' or '#' after
// it.
func redactUserinfo(raw string) (string, bool) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw, false
	}
	start := i + len("://")
	end := len(raw)
	if j := strings.IndexAny(raw[start:], "/?#"); j >= 0 {
		end = start + j
	}
	at := strings.LastIndexByte(raw[start:end], '@')
	if at < 0 {
		return raw, false
	}
	red := Redacted
	if user, pass, ok := strings.Cut(raw[start:start+at], ":"); ok && pass != "" {
		if pass == Redacted || pass == "xxxxx" { // already redacted (url.URL.Redacted writes xxxxx)
			return raw, false
		}
		red = user + ":" + Redacted
	} else if user == "" || user == Redacted {
		return raw, false
	}
	return raw[:start] + red + raw[start+at:], true
}

// query redacts the values of the secret parameters of a URL's query.
func (r *Redactor) query(q string) (string, bool) {
	parts := strings.Split(q, "&")
	changed := false
	for i, part := range parts {
		name, value, ok := strings.Cut(part, "=")
		if !ok || value == "" || value == Redacted {
			continue
		}
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if r.secretParam(name, false) {
			parts[i], changed = part[:len(part)-len(value)]+Redacted, true
		}
	}
	if !changed {
		return q, false
	}
	return strings.Join(parts, "&"), true
}

// urlsIn redacts every http, https, ws or wss URL within text (an error
// message, say: Go quotes the URL a request failed on), the scheme in any
// case. A URL ends at white space, a quote or an angle bracket. It is one
// pass over text.
func (r *Redactor) urlsIn(text string) (string, bool) {
	if !r.Active() || !strings.Contains(text, "://") {
		return text, false
	}
	var b strings.Builder
	changed := false
	done := 0 // text[:done] is in b, or needs nothing
	for from := 0; ; {
		sep := strings.Index(text[from:], "://")
		if sep < 0 {
			break
		}
		sep += from
		start := sep
		for start > done && isSchemeByte(text[start-1]) {
			start--
		}
		end := len(text)
		if n := strings.IndexAny(text[sep:], " \t\r\n\"'<>`"); n >= 0 {
			end = sep + n
		}
		from = end
		if !webScheme(text[start:sep]) {
			from = sep + len("://")
			continue
		}
		if u, ok := r.URL(text[start:end]); ok {
			b.WriteString(text[done:start])
			b.WriteString(u)
			done, changed = end, true
		}
	}
	if !changed {
		return text, false
	}
	b.WriteString(text[done:])
	return b.String(), true
}

// isSchemeByte reports whether c may be part of a URL's scheme.
func isSchemeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// webScheme reports whether scheme, in any case, is http, https, ws or wss,
// the schemes whose URLs urlsIn redacts.
func webScheme(scheme string) bool {
	for _, s := range []string{"http", "https", "ws", "wss"} {
		if strings.EqualFold(scheme, s) {
			return true
		}
	}
	return false
}

// endpoint redacts the URL of a legacy transport's endpoint event, given
// its raw bytes: the query of each data line (absolute or relative URL).
// Its sessionId is kept (DefaultKeptNames).
func (r *Redactor) endpoint(raw string) (string, bool) {
	lines := strings.SplitAfter(raw, "\n")
	changed := false
	for i, line := range lines {
		value, ok := strings.CutPrefix(line, "data:")
		if !ok {
			continue
		}
		body := strings.TrimRight(value, "\r\n")
		if u, ok := r.URL(body); ok {
			lines[i], changed = "data:"+u+value[len(body):], true
		}
	}
	if !changed {
		return raw, false
	}
	return strings.Join(lines, ""), true
}

// Text returns text (an error message, say) with the URLs in it redacted
// as URL does. A Redactor that is not Active changes nothing.
func (r *Redactor) Text(text string) string {
	out, _ := r.urlsIn(text)
	return out
}
