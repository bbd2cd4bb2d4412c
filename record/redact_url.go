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

// urlsIn redacts every http:// or https:// URL within text (an error
// message, say: Go quotes the URL a request failed on). A URL ends at
// white space, a quote or an angle bracket.
func (r *Redactor) urlsIn(text string) (string, bool) {
	if !r.Active() || !strings.Contains(text, "://") {
		return text, false
	}
	var b strings.Builder
	changed := false
	rest := text
	for {
		i := urlStart(rest)
		if i < 0 {
			break
		}
		end := i + strings.IndexFunc(rest[i:], func(c rune) bool { return strings.ContainsRune(" \t\r\n\"'<>`", c) })
		if end < i {
			end = len(rest)
		}
		u, ok := r.URL(rest[i:end])
		b.WriteString(rest[:i])
		b.WriteString(u)
		changed = changed || ok
		rest = rest[end:]
	}
	if !changed {
		return text, false
	}
	b.WriteString(rest)
	return b.String(), true
}

// urlStart returns where the first http:// or https:// URL in s starts,
// or -1.
func urlStart(s string) int {
	i, j := strings.Index(s, "http://"), strings.Index(s, "https://")
	switch {
	case i < 0:
		return j
	case j < 0:
		return i
	}
	return min(i, j)
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
