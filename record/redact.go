package record

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"mcpscope/proxy"
	"mcpscope/rules"
)

// Redacted replaces what is redacted.
const Redacted = "[redacted]"

// DefaultRedactedHeaders are the credentials redacted unless --no-redact.
var DefaultRedactedHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key"}

// Redactor removes credentials from observations before they are written
// down: header values, JSON paths of messages (in the body, the raw SSE
// bytes and rule decisions), and passwords in URLs. The zero Redactor
// changes nothing.
type Redactor struct {
	Headers []string // header names, case-insensitive
	Paths   []string // dotted JSON paths, e.g. params.arguments.password
	edit    *rules.Rule
}

// NewRedactor redacts the default headers and the given JSON paths.
func NewRedactor(paths []string) *Redactor {
	r := &Redactor{Headers: DefaultRedactedHeaders, Paths: paths}
	if len(paths) > 0 {
		r.edit = &rules.Rule{Name: "redaction"}
		for _, p := range paths {
			r.edit.Set = append(r.edit.Set, rules.Assignment{Path: p, Value: json.RawMessage(`"` + Redacted + `"`)})
		}
	}
	return r
}

// Apply returns o with credentials redacted: o itself when there is
// nothing to redact, else a copy (observations are shared and immutable).
func (r *Redactor) Apply(o *proxy.Observation) *proxy.Observation {
	if r == nil || o.HTTP == nil && (r.edit == nil || o.Body == "" && o.Decision == nil) {
		return o // nothing it could redact; no copy (most observations: SSE events without message paths to redact)
	}
	c := *o
	changed := false
	if h := o.HTTP; h != nil {
		hc := *h
		if u, err := url.Parse(h.URL); err == nil && u.User != nil {
			hc.URL, changed = u.Redacted(), true
		}
		var reqChanged, respChanged bool
		hc.RequestHeaders, reqChanged = r.headers(h.RequestHeaders)
		hc.ResponseHeaders, respChanged = r.headers(h.ResponseHeaders)
		if reqChanged || respChanged || changed {
			c.HTTP, changed = &hc, true
		}
	}
	if r.edit != nil && o.Body != "" && r.touches(o.Body) {
		if body, err := r.redactMessage(o.Body); err == nil && body != o.Body {
			c.Raw = strings.Replace(o.Raw, o.Body, body, 1)
			if c.Raw == o.Raw && o.Raw != "" {
				c.Raw = "" // the body was not verbatim in the raw bytes (multi-line data): drop them rather than leak
				c.Flags = append(append([]string(nil), o.Flags...), "raw_redacted")
			}
			c.Body, changed = body, true
		}
	}
	if d := o.Decision; d != nil && r.edit != nil && (d.Before != "" || d.After != "") {
		dc := *d
		dc.Before, _ = r.redactMessage(d.Before)
		dc.After, _ = r.redactMessage(d.After)
		c.Decision, changed = &dc, true
	}
	if !changed {
		return o
	}
	return &c
}

// touches reports cheaply whether a message may hold a redacted path (its
// last key appears in the text).
func (r *Redactor) touches(body string) bool {
	for _, p := range r.Paths {
		last := p[strings.LastIndexByte(p, '.')+1:]
		if strings.Contains(body, `"`+last+`"`) {
			return true
		}
	}
	return false
}

// redactMessage sets every redacted path that exists in the message.
func (r *Redactor) redactMessage(msg string) (string, error) {
	if msg == "" {
		return msg, nil
	}
	var doc any
	if err := json.Unmarshal([]byte(msg), &doc); err != nil {
		return msg, err
	}
	present := &rules.Rule{Name: "redaction"}
	for _, a := range r.edit.Set {
		if has(doc, strings.Split(a.Path, ".")) {
			present.Set = append(present.Set, a)
		}
	}
	if len(present.Set) == 0 {
		return msg, nil
	}
	return present.Modify(msg)
}

func has(doc any, path []string) bool {
	for _, p := range path {
		m, ok := doc.(map[string]any)
		if !ok {
			return false
		}
		if doc, ok = m[p]; !ok {
			return false
		}
	}
	return true
}

// headers returns h with the redacted headers' values replaced.
func (r *Redactor) headers(h map[string][]string) (map[string][]string, bool) {
	var out map[string][]string
	for _, name := range r.Headers {
		canonical := http.CanonicalHeaderKey(name)
		for k, v := range h {
			if http.CanonicalHeaderKey(k) != canonical {
				continue
			}
			if out == nil {
				out = make(map[string][]string, len(h))
				for k2, v2 := range h {
					out[k2] = v2
				}
			}
			red := make([]string, len(v))
			for i := range red {
				red[i] = Redacted
			}
			out[k] = red
		}
	}
	if out == nil {
		return h, false
	}
	return out, true
}
