package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// lineEncoder appends observations as JSON lines, from a field table built
// once (see fieldCodec) instead of encoding/json's reflection per value.
//
// With bodyAt and bodyValue off, a line is byte for byte what a
// json.Encoder with HTML escaping off writes for the observation (the
// tests hold it to that), except for two additions: C1 controls and bidirectional overrides are
// escaped (see appendString), and a raw or body that is not valid UTF-8
// is followed by "raw_b64" or "body_b64", its exact bytes (see
// appendExact). With
// bodyAt on (recordings, Version 2), an observation whose body lies within
// its raw bytes has it written once: the raw string, then
// "body_at":[start,end], the byte offsets of the body in raw (Read sets
// Body = Raw[start:end]), instead of a "body" key. Raw must then decode to
// its exact bytes (valid UTF-8); otherwise "body" follows "raw" as usual.
//
// With bodyValue on (--headless and the control API's events), a body
// that is valid JSON is written as that JSON value, not as a string (see
// appendJSONValue), so `jq .body.params` works; when the value written is
// not the body byte for byte, "body_b64" follows it with the exact bytes.
// A body that is not valid JSON (invalid, cut short) stays a string. Read
// takes either form. (Should the field table not be exact, lines go
// through encoding/json and the body is a string.)
type lineEncoder struct {
	bodyAt    bool
	bodyValue bool
	codec     *observationCodec
	spill     bytes.Buffer  // what enc writes: whole lines when the table is not exact, else rare nested values
	enc       *json.Encoder // into spill, HTML escaping off
}

func newLineEncoder(bodyAt bool) *lineEncoder {
	e := &lineEncoder{bodyAt: bodyAt, codec: obsCodec}
	e.enc = json.NewEncoder(&e.spill)
	e.enc.SetEscapeHTML(false)
	return e
}

// newHeadlessEncoder returns the encoder of --headless lines: bodies as
// JSON values (see lineEncoder).
func newHeadlessEncoder() *lineEncoder {
	e := newLineEncoder(false)
	e.bodyValue = true
	return e
}

// appendLine appends o as one JSON object and a newline. On error dst is
// returned as it was.
func (e *lineEncoder) appendLine(dst []byte, o *Observation) ([]byte, error) {
	c := e.codec
	if !c.exact {
		e.spill.Reset()
		if err := e.enc.Encode(o); err != nil {
			return dst, fmt.Errorf("encoding an observation: %w", err)
		}
		return append(dst, escapeInvisible(e.spill.Bytes())...), nil
	}
	orig := dst
	bodyStart, bodyEnd := -1, -1
	if e.bodyAt && c.body >= 0 && c.raw >= 0 {
		bodyStart, bodyEnd = bodyWithin(o.Raw, o.Body)
	}
	base := unsafe.Pointer(o)
	dst = append(dst, '{')
	first := true
	var err error
	for i := range c.fields {
		f := &c.fields[i]
		p := unsafe.Add(base, f.off)
		if i == c.body && bodyStart >= 0 || f.omitted(p) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, f.key...)
		if i == c.body && e.bodyValue {
			body := *(*string)(p)
			if out, asSent, ok := appendJSONValue(dst, body); ok {
				if dst = out; !asSent {
					dst = appendExact(dst, "body", body)
				}
				continue
			}
		}
		var exact bool
		if dst, exact, err = e.appendValue(dst, f, p); err != nil {
			return orig, err
		}
		if !exact && (i == c.raw || i == c.body) {
			dst = appendExact(dst, f.name, *(*string)(p))
		}
		if i != c.raw || bodyStart < 0 {
			continue
		}
		if exact {
			dst = append(dst, `,"body_at":[`...)
			dst = strconv.AppendInt(dst, int64(bodyStart), 10)
			dst = append(dst, ',')
			dst = strconv.AppendInt(dst, int64(bodyEnd), 10)
			dst = append(dst, ']')
		} else { // raw does not read back as it is (older readers ignore raw_b64), so neither would offsets into it
			dst = append(dst, `,"body":`...)
			if dst, exact = appendString(dst, o.Body); !exact {
				dst = appendExact(dst, "body", o.Body)
			}
		}
	}
	return append(dst, '}', '\n'), nil
}

// appendExact appends `,"NAME_b64":"..."`: the exact bytes of a string
// that is not valid UTF-8 (whose JSON string has U+FFFD in their place),
// or of a body written as a JSON value that is not those bytes (see
// lineEncoder), base64-encoded, for Read to restore: raw and body stay
// byte for byte what was forwarded, for exports and replay.
func appendExact(dst []byte, name, s string) []byte {
	dst = append(append(append(dst, `,"`...), name...), `_b64":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, []byte(s))
	return append(dst, '"')
}

// appendValue appends the value of field f at p; exact is false for a
// string that will not decode to the same bytes (invalid UTF-8).
func (e *lineEncoder) appendValue(dst []byte, f *fieldCodec, p unsafe.Pointer) (_ []byte, exact bool, err error) {
	switch f.kind {
	case codecString:
		dst, exact = appendString(dst, *(*string)(p))
		return dst, exact, nil
	case codecInt:
		return strconv.AppendInt(dst, loadInt(p, f.typ.Kind()), 10), true, nil
	case codecUint:
		return strconv.AppendUint(dst, loadUint(p, f.typ.Kind()), 10), true, nil
	case codecBool:
		return strconv.AppendBool(dst, *(*bool)(p)), true, nil
	case codecTime:
		dst, err = appendTime(dst, *(*time.Time)(p))
	case codecRawJSON:
		dst, err = appendRawJSON(dst, *(*string)(p))
	case codecStrings:
		s := *(*[]string)(p)
		if s == nil {
			return append(dst, "null"...), true, nil
		}
		dst = append(dst, '[')
		for i, v := range s {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst, _ = appendString(dst, v)
		}
		dst = append(dst, ']')
	default:
		e.spill.Reset()
		if err := e.enc.Encode(reflect.NewAt(f.typ, p).Interface()); err != nil {
			return dst, false, fmt.Errorf("encoding the observation's %s: %w", f.name, err)
		}
		dst = append(dst, escapeInvisible(bytes.TrimSuffix(e.spill.Bytes(), []byte("\n")))...)
	}
	if err != nil {
		return dst, false, fmt.Errorf("encoding the observation's %s: %w", f.name, err)
	}
	return dst, true, nil
}

// bodyWithin returns where body lies in raw, as byte offsets, or -1, -1
// when it does not (or either is empty). It first checks whether body's
// memory is part of raw's, as the proxy builds single-line events, and
// searches only when it is not.
func bodyWithin(raw, body string) (start, end int) {
	if body == "" || len(body) > len(raw) {
		return -1, -1
	}
	r, b := uintptr(unsafe.Pointer(unsafe.StringData(raw))), uintptr(unsafe.Pointer(unsafe.StringData(body)))
	if b >= r && b-r <= uintptr(len(raw)-len(body)) {
		start = int(b - r)
	} else if start = strings.Index(raw, body); start < 0 {
		return -1, -1
	}
	return start, start + len(body)
}

// appendTime appends t as time.Time.MarshalJSON does (RFC 3339 with
// nanoseconds, quoted), with its error for years it cannot write.
func appendTime(dst []byte, t time.Time) ([]byte, error) {
	dst = append(dst, '"')
	dst, err := t.AppendText(dst)
	if err != nil {
		return dst, err
	}
	return append(dst, '"'), nil
}

// appendRawJSON appends JSON text as encoding/json writes a Marshaler's
// output: validated, insignificant space removed; null when empty; and,
// as appendString does, C1 controls and bidirectional overrides escaped.
func appendRawJSON(dst []byte, text string) ([]byte, error) {
	if text == "" {
		return append(dst, "null"...), nil
	}
	if plainToken(text) {
		return append(dst, text...), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(text)); err != nil {
		return dst, fmt.Errorf("%q: %w", text, err)
	}
	return append(dst, escapeInvisible(buf.Bytes())...), nil
}

// plainToken reports whether text is JSON that encoding/json would copy as
// it is: a number (digits first, or a minus sign and digits), or a string
// of printable ASCII without escapes. Anything else takes the slow path.
func plainToken(text string) bool {
	if text == "" {
		return false
	}
	if text[0] == '"' {
		if len(text) < 2 || text[len(text)-1] != '"' {
			return false
		}
		for i := 1; i < len(text)-1; i++ {
			if c := text[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
				return false
			}
		}
		return true
	}
	digits := text
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" || digits == "0" {
		return digits == "0"
	}
	for i := 0; i < len(digits); i++ {
		if c := digits[i]; c < '0' || c > '9' || i == 0 && c == '0' {
			return false
		}
	}
	return true
}
