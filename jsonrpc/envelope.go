// Package jsonrpc reads the envelope of JSON-RPC 2.0 messages as MCP sends
// them: what kind a message is, its method and id, and where its params,
// result or error lie, as substrings of the text (no copies, no decoding of
// the values). It is what the proxy reads of every message on the data
// path, so it is fast (a scan, not a decode) and bounded (MaxDepth); it
// never rejects a message the proxy forwards: a message it cannot read is
// Invalid.
package jsonrpc

import (
	"encoding/json"
	"strings"
)

// Kind classifies a JSON-RPC message. The names are part of mcpscope's
// headless output and recording format.
type Kind string

const (
	Request      Kind = "request"
	Notification Kind = "notification"
	Result       Kind = "result"
	Error        Kind = "error"
	Invalid      Kind = "invalid" // not a JSON-RPC message (invalid JSON, or no method/result/error)
)

// Envelope is the top-level shape of one JSON-RPC message, as substrings of
// the text it was read from (no copies). It is tolerant: it reads what it
// needs and never rejects a message the proxy forwards; a message it cannot
// read has kind Invalid.
type Envelope struct {
	Kind   Kind
	Method string // unquoted
	ID     string // the id's JSON text, "" when absent
	Params string // the params' JSON text, "" when absent
	Result string // the result's JSON text
	Error  string // the error's JSON text
}

// MaxDepth bounds nesting so a hostile message cannot exhaust the stack;
// deeper messages are forwarded and flagged invalid.
const MaxDepth = 512

// Split returns the JSON-RPC messages in text: one per element for
// a batch (an array; batch is its length), else text whole (batch 0). ok is
// false for an array that is not valid JSON (text is then returned whole);
// a single message is validated by Read, not here.
func Split(text string) (msgs []string, batch int, ok bool) {
	i := skipSpace(text, 0)
	if i < len(text) && text[i] == '[' {
		var elems []string
		end, ok := skipArray(text, i, 0, func(start, end int) { elems = append(elems, text[start:end]) })
		if ok && skipSpace(text, end) == len(text) && len(elems) > 0 {
			return elems, len(elems), true
		}
		return []string{text}, 0, false
	}
	// One message: Read validates it as it reads it, so it is not
	// scanned twice here.
	return []string{text}, 0, true
}

// SingleOrSplit is Split for the hot path: a single message comes
// back as itself, with no slice allocated; only an array is split.
func SingleOrSplit(text string) (first string, batch int, ok bool) {
	if !IsBatch(text) {
		return text, 0, true
	}
	msgs, batch, ok := Split(text)
	return msgs[0], batch, ok
}

// IsBatch reports whether text is a JSON array (a batch, or something
// invalid that Split must look at); a single message can go
// straight to Read without a slice.
func IsBatch(text string) bool {
	i := skipSpace(text, 0)
	return i < len(text) && text[i] == '['
}

// Read reads the top-level members of one message, and checks that
// the text is exactly one well-formed JSON object (else Invalid).
func Read(text string) Envelope {
	var e Envelope
	i := skipSpace(text, 0)
	if i >= len(text) || text[i] != '{' {
		e.Kind = Invalid
		return e
	}
	method := ""
	hasMethod, hasID := false, false
	end, ok := skipObject(text, i, 0, func(key string, vStart, vEnd int) {
		v := text[vStart:vEnd]
		switch key {
		case `"method"`:
			hasMethod = true
			method = v
		case `"id"`:
			hasID = true
			e.ID = v
		case `"params"`:
			e.Params = v
		case `"result"`:
			e.Result = v
		case `"error"`:
			e.Error = v
		}
	})
	ok = ok && skipSpace(text, end) == len(text)
	switch {
	case !ok:
		e.Kind = Invalid
	case hasMethod:
		e.Method = Unquote(method)
		e.Kind = Notification
		if hasID && e.ID != "null" {
			e.Kind = Request
		}
	case e.Error != "":
		e.Kind = Error
	case e.Result != "":
		e.Kind = Result
	default:
		e.Kind = Invalid
	}
	return e
}

// Unquote returns the value of a JSON string literal, without allocating
// when it has no escapes.
func Unquote(lit string) string {
	if len(lit) < 2 || lit[0] != '"' {
		return ""
	}
	inner := lit[1 : len(lit)-1]
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\\' {
			var s string
			if json.Unmarshal([]byte(lit), &s) != nil {
				return inner
			}
			return s
		}
	}
	return inner
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value starting at or after
// i, and whether it is well-formed.
func skipValue(s string, i, depth int) (int, bool) {
	i = skipSpace(s, i)
	if i >= len(s) {
		return i, false
	}
	switch c := s[i]; {
	case c == '{':
		return skipObject(s, i, depth, nil)
	case c == '[':
		return skipArray(s, i, depth, nil)
	case c == '"':
		return skipString(s, i)
	case c == 't':
		return skipLiteral(s, i, "true")
	case c == 'f':
		return skipLiteral(s, i, "false")
	case c == 'n':
		return skipLiteral(s, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		j := i + 1
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' || s[j] == '+' || s[j] == '-') {
			j++
		}
		return j, true
	}
	return i, false
}

func skipLiteral(s string, i int, lit string) (int, bool) {
	if len(s)-i >= len(lit) && s[i:i+len(lit)] == lit {
		return i + len(lit), true
	}
	return i, false
}

// skipString skips the string literal at s[i] == '"'. It jumps from quote
// to quote with strings.IndexByte (vectorised), so long strings cost little;
// a quote ends the literal unless an odd number of backslashes precedes it.
func skipString(s string, i int) (int, bool) {
	for j := i + 1; ; {
		k := strings.IndexByte(s[j:], '"')
		if k < 0 {
			return len(s), false
		}
		end := j + k
		backslashes := 0
		for p := end - 1; p > i && s[p] == '\\'; p-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return end + 1, true
		}
		j = end + 1
	}
}

// skipObject skips the object at s[i] == '{', calling member (if not nil)
// with each key (as its literal, quotes included) and value span.
func skipObject(s string, i, depth int, member func(key string, vStart, vEnd int)) (int, bool) {
	if depth > MaxDepth {
		return i, false
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return i, false
		}
		kEnd, ok := skipString(s, i)
		if !ok {
			return kEnd, false
		}
		key := s[i:kEnd]
		i = skipSpace(s, kEnd)
		if i >= len(s) || s[i] != ':' {
			return i, false
		}
		vStart := skipSpace(s, i+1)
		vEnd, ok := skipValue(s, vStart, depth+1)
		if !ok {
			return vEnd, false
		}
		if member != nil {
			member(key, vStart, vEnd)
		}
		i = skipSpace(s, vEnd)
		if i >= len(s) {
			return i, false
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
		case '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// skipArray skips the array at s[i] == '[', calling elem (if not nil) with
// each element's span.
func skipArray(s string, i, depth int, elem func(start, end int)) (int, bool) {
	if depth > MaxDepth {
		return i, false
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == ']' {
		return i + 1, true
	}
	for {
		start := skipSpace(s, i)
		end, ok := skipValue(s, start, depth+1)
		if !ok {
			return end, false
		}
		if elem != nil {
			elem(start, end)
		}
		i = skipSpace(s, end)
		if i >= len(s) {
			return i, false
		}
		switch s[i] {
		case ',':
			i++
		case ']':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// ReadPrefix reads what it can of a JSON-RPC message from its first
// bytes, or of the first message of a batch: the top-level members that end
// within them (id, method), and the kind a "result" or "error" key names
// even when its value goes on past them. The kind is Invalid when the
// prefix shows none: it is not a JSON object (or an array of them), or one
// whose method, result or error comes later than the prefix.
func ReadPrefix(s string) Envelope {
	e := Envelope{Kind: Invalid}
	i := skipSpace(s, 0)
	if i < len(s) && s[i] == '[' { // a batch: what its first message shows
		i = skipSpace(s, i+1)
	}
	if i >= len(s) || s[i] != '{' {
		return e
	}
	i = skipSpace(s, i+1)
	hasMethod, hasID := false, false
	for i < len(s) && s[i] == '"' {
		kEnd, ok := skipString(s, i)
		if !ok {
			break
		}
		key := s[i:kEnd]
		i = skipSpace(s, kEnd)
		if i >= len(s) || s[i] != ':' {
			break
		}
		switch key {
		case `"result"`:
			e.Kind = Result
		case `"error"`:
			e.Kind = Error
		}
		vStart := skipSpace(s, i+1)
		vEnd, ok := skipValue(s, vStart, 1)
		if !ok || vEnd >= len(s) { // a number at the end may go on past the prefix
			break
		}
		switch key {
		case `"id"`:
			hasID, e.ID = true, s[vStart:vEnd]
		case `"method"`:
			hasMethod, e.Method = true, Unquote(s[vStart:vEnd])
		}
		if i = skipSpace(s, vEnd); i >= len(s) || s[i] != ',' {
			break
		}
		i = skipSpace(s, i+1)
	}
	if hasMethod {
		e.Kind = Notification
		if hasID && e.ID != "null" {
			e.Kind = Request
		}
	}
	return e
}
