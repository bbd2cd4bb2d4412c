package record

import "strings"

// isForm reports whether a message's text is an
// application/x-www-form-urlencoded body rather than JSON: name=value
// pairs joined by '&', with no white space, quotes or brackets. An OAuth
// token request is one (grant_type=authorization_code&code=…), and it is
// published as a message (an invalid one) when it goes through mcpscope.
// Its secret parameters are redacted as a URL's query parameters are.
//
// It runs on every message redacted, so a JSON message is turned away by
// its first byte, and nothing is allocated.
func isForm(text string) bool {
	if text == "" || text[0] == '{' || text[0] == '[' || strings.ContainsAny(text, " \t\r\n\"{}[]") {
		return false
	}
	for rest, more := text, true; more; {
		var pair string
		pair, rest, more = strings.Cut(rest, "&")
		if name, _, ok := strings.Cut(pair, "="); !ok || name == "" {
			return false
		}
	}
	return true
}
