package proxy

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// The values of the headers mirroring a 2026-07-28 request's body
// (mcpheaders.go), encoded as streamable HTTP § Value Encoding says.

// paramText is an argument's header text (SEP-2243): a string as it is,
// a boolean as true/false, an integer in ±(2^53−1) in decimal; false for
// anything else (absent, null, other numbers, objects), which gets no header.
func paramText(v gjson.Result) (string, bool) {
	switch v.Type {
	case gjson.String:
		return v.String(), true
	case gjson.True, gjson.False:
		return v.Raw, true
	case gjson.Number:
		f := v.Float()
		if f != float64(int64(f)) || f > maxSafeInteger || f < -maxSafeInteger {
			return "", false
		}
		return strconv.FormatInt(int64(f), 10), true
	}
	return "", false
}

// headerValue encodes s for a header (streamable HTTP § Value Encoding):
// as it is, unless it has characters outside printable ASCII, leading or
// trailing space or tab, or the shape of the base64 sentinel itself; then
// as =?base64?{base64 of its UTF-8}?=.
func headerValue(s string) string {
	encode := s != "" && (s[0] == ' ' || s[0] == '\t' || s[len(s)-1] == ' ' || s[len(s)-1] == '\t' ||
		strings.HasPrefix(s, base64Prefix) && strings.HasSuffix(s, base64Suffix))
	for i := 0; i < len(s) && !encode; i++ {
		encode = s[i] < 0x20 || s[i] > 0x7e
	}
	if !encode {
		return s
	}
	return base64Prefix + base64.StdEncoding.EncodeToString([]byte(s)) + base64Suffix
}

// plainValue is s as a header value the way go-sdk mirrors Mcp-Method and
// Mcp-Name (its server compares them with the body as they are): as it is,
// unless it could not travel as it is (control characters, or leading or
// trailing space or tab, which a server's parser strips); then encoded as
// headerValue encodes.
func plainValue(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return headerValue(s)
		}
	}
	if s != "" && (s[0] == ' ' || s[0] == '\t' || s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		return headerValue(s)
	}
	return s
}

// escapeKey escapes a key for a gjson path (see rules.Modify's paths).
func escapeKey(k string) string { return gjson.Escape(k) }
