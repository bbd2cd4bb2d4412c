package record

import (
	"encoding/json"
	"strings"
)

// The lexical steps of a tolerant pass over JSON text (see jsonWalker):
// each takes the text and a position and returns where a token ends,
// never failing; what is cut short ends at the end of the text.

// stringEnd returns the index after the string starting at s[i] (a quote),
// or len(s) if it is never closed.
func stringEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '"':
			return j + 1
		case '\\':
			j++ // the escaped byte
		}
	}
	return len(s)
}

// valueEnd returns the index after the value starting at s[i]: a string,
// an object or array (its brackets counted, strings skipped; the rest of
// the text if one is never closed), or any other token.
func valueEnd(s string, i int) int {
	switch s[i] {
	case '"':
		return stringEnd(s, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(s); {
			switch s[j] {
			case '"':
				j = stringEnd(s, j)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
			j++
		}
		return len(s)
	}
	return scalarEnd(s, i)
}

// scalarEnd returns the index after a number, literal or stray token.
func scalarEnd(s string, i int) int {
	j := i + 1
	for j < len(s) && !delimiter[s[j]] {
		j++
	}
	return j
}

// delimiter marks the bytes that end a number or literal.
var delimiter = func() (t [256]bool) {
	for _, c := range ",:{}[]\" \t\r\n" {
		t[c] = true
	}
	return t
}()

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// decodeKey returns a member name's decoded value from its quoted text
// (an unclosed or undecodable one as it is written).
func decodeKey(quoted string) string {
	inner := strings.TrimPrefix(quoted, `"`)
	if len(quoted) >= 2 && quoted[len(quoted)-1] == '"' {
		inner = quoted[1 : len(quoted)-1]
	}
	if strings.IndexByte(inner, '\\') < 0 {
		return inner
	}
	var k string
	if json.Unmarshal([]byte(`"`+inner+`"`), &k) != nil {
		return inner
	}
	return k
}
