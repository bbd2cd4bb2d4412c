package record

import "strings"

// isForm reports whether a message's text is an
// application/x-www-form-urlencoded body rather than JSON: name=value
// pairs joined by '&', with no white space, quotes or brackets. An OAuth
// token request is one (grant_type=authorization_code&code=…), and it is
// published as a message (an invalid one) when it goes through mcpscope.
// Its secret parameters are redacted as a URL's query parameters are.
func isForm(text string) bool {
	if text == "" || strings.IndexByte(text, '=') < 0 {
		return false
	}
	for _, pair := range strings.Split(text, "&") {
		name, _, ok := strings.Cut(pair, "=")
		if !ok || name == "" {
			return false
		}
	}
	return !strings.ContainsAny(text, " \t\r\n\"{}[]")
}
