package filter

import (
	"encoding/json"
	"strings"
)

// Subject is what a filter matches: one JSON-RPC message, SSE event or
// HTTP exchange, described by plain fields so this package depends on
// nothing of the proxy. The JSON body is decoded only if a filter asks
// for a JSON path or a name, and then once.
type Subject struct {
	Direction string // "client_to_server" or "server_to_client"
	Kind      string // request, notification, result, error, invalid
	Method    string // for results and errors: the method of the request answered
	ID        string // the JSON-RPC id as JSON text
	Session   string
	Stream    string
	Operation string // the operation the message belongs to (MRTR rounds, a task), "" if none
	EventType string // the SSE event type
	Status    int    // HTTP status of the exchange, 0 if none
	Flags     []string
	Body      string // the message's JSON text
	// Tool is the tool of the tools/call exchange the message belongs to,
	// when the caller knows it: set on the answer and the progress
	// notifications too, so tool:NAME matches them (a request's is read
	// from its body when unset).
	Tool string

	decoded bool
	doc     map[string]any
}

// document returns the body decoded, or nil if it is not a JSON object.
func (s *Subject) document() map[string]any {
	if !s.decoded {
		s.decoded = true
		if s.Body != "" {
			_ = json.Unmarshal([]byte(s.Body), &s.doc)
		}
	}
	return s.doc
}

// Invalidate forgets the decoded body (after the caller changed Body).
func (s *Subject) Invalidate() { s.decoded, s.doc = false, nil }

// lookup follows a dotted path (params.arguments.count, result.content.0.text)
// into the body.
func (s *Subject) lookup(path []string) (any, bool) {
	var cur any = s.document()
	if cur == nil {
		return nil, false
	}
	for _, p := range path {
		switch v := cur.(type) {
		case map[string]any:
			x, ok := v[p]
			if !ok {
				return nil, false
			}
			cur = x
		case []any:
			i, ok := atoi(p)
			if !ok || i < 0 || i >= len(v) {
				return nil, false
			}
			cur = v[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// name is the tool, prompt or resource a request is about: params.name for
// tools/call and prompts/get, params.uri for resources/*.
func (s *Subject) name(kind string) (string, bool) {
	m := s.Method
	if s.Tool != "" && (kind == "tool" || kind == "name") {
		return s.Tool, true
	}
	switch kind {
	case "tool":
		if m != "tools/call" {
			return "", false
		}
	case "prompt":
		if m != "prompts/get" {
			return "", false
		}
	case "resource":
		if !strings.HasPrefix(m, "resources/") {
			return "", false
		}
		v, ok := s.lookup([]string{"params", "uri"})
		str, isStr := v.(string)
		return str, ok && isStr
	}
	v, ok := s.lookup([]string{"params", "name"})
	if !ok && kind == "name" {
		v, ok = s.lookup([]string{"params", "uri"})
	}
	str, isStr := v.(string)
	return str, ok && isStr
}

func atoi(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > 1<<30 {
			return 0, false
		}
	}
	return n, true
}
