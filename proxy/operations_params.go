package proxy

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"
)

// requestParams reads what the tracker needs of an MRTR-able request's
// params (nil when it has none), as parseOp would, and false where
// parseOp fails. Every tools/call comes here, and encoding/json decoding
// the message into opMessage was most of linking it; a walk of the
// message's keys with gjson reads the same fields without decoding the
// rest. It hands the message to parseOp wherever encoding/json's own
// rules could give another answer: a key that matches a field only in
// another case (encoding/json ignores case), a field of an unexpected
// type (which fails the decoding), a string with escapes or bytes
// outside ASCII (encoding/json unescapes and replaces invalid UTF-8), a
// result, or the related-task _meta. The text is valid JSON: jsonrpc.Read
// checked it before the message was given a kind.
func requestParams(text string) (*opParams, bool) {
	p, sure := scanParams(text)
	if !sure {
		m, ok := parseOp(text)
		return m.Params, ok
	}
	return p, true
}

// scanParams is requestParams' fast path; sure is false when parseOp must
// decide.
func scanParams(text string) (p *opParams, sure bool) {
	sure = true
	seen := false
	msg := gjson.Parse(text)
	if !msg.IsObject() {
		return nil, false
	}
	msg.ForEach(func(k, v gjson.Result) bool {
		switch {
		case k.Str == "params" && seen:
			sure = false // encoding/json would merge the two into one
		case k.Str == "params":
			seen = true
			switch v.Type {
			case gjson.Null:
				p = nil
			case gjson.JSON:
				if v.Raw[0] != '{' {
					sure = false
					break
				}
				p = new(opParams)
				sure = scanParamFields(v, p)
			default:
				sure = false
			}
		case strings.EqualFold(k.Str, "params"), strings.EqualFold(k.Str, "result"):
			sure = false
		}
		return sure
	})
	return p, sure
}

// scanParamFields sets p's fields from the params object v; false when
// parseOp must decide.
func scanParamFields(v gjson.Result, p *opParams) bool {
	sure := true
	v.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "name":
			sure = plainString(v, &p.Name)
		case "uri":
			sure = plainString(v, &p.URI)
		case "taskId":
			sure = plainString(v, &p.TaskID)
		case "requestState":
			var s string
			sure = plainString(v, &s)
			p.RequestState = nil
			if v.Type != gjson.Null {
				p.RequestState = &s
			}
		case "arguments":
			p.Arguments = json.RawMessage(v.Raw)
		case "inputResponses":
			p.InputResponses = json.RawMessage(v.Raw)
		case "progressToken":
			p.ProgressToken = json.RawMessage(v.Raw)
		case "_meta":
			sure = scanMeta(v, &p.Meta)
		default:
			sure = !foldsToParamField(k.Str)
		}
		return sure
	})
	return sure
}

// scanMeta sets m from the _meta value v; false when parseOp must decide.
func scanMeta(v gjson.Result, m *opMeta) bool {
	switch {
	case v.Type == gjson.Null:
		return true // encoding/json leaves a struct as it is
	case v.Type != gjson.JSON || v.Raw[0] != '{':
		return false
	}
	sure := true
	v.ForEach(func(k, v gjson.Result) bool {
		switch {
		case k.Str == "progressToken":
			m.ProgressToken = json.RawMessage(v.Raw)
		case strings.EqualFold(k.Str, "progressToken"), strings.EqualFold(k.Str, relatedTaskKey):
			sure = false
		}
		return sure
	})
	return sure
}

// plainString sets *s from v when v is a string of printable ASCII
// without escapes, whose value is its raw text, and leaves it when v is
// null (as encoding/json does); false otherwise.
func plainString(v gjson.Result, s *string) bool {
	switch v.Type {
	case gjson.Null:
		return true
	case gjson.String:
	default:
		return false
	}
	raw := v.Raw
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return false
	}
	raw = raw[1 : len(raw)-1]
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c == '\\' || c < 0x20 || c >= 0x80 {
			return false
		}
	}
	*s = raw
	return true
}

// foldsToParamField reports whether k names one of opParams' fields in
// another case (encoding/json would decode it into that field).
func foldsToParamField(k string) bool {
	for _, f := range [...]string{"name", "uri", "arguments", "requestState", "inputResponses", "taskId", "progressToken", "_meta"} {
		if strings.EqualFold(k, f) {
			return true
		}
	}
	return false
}
