package record

import (
	"unicode/utf8"

	"github.com/mcpscope/mcpscope/jsonrpc"
)

// appendJSONValue appends text, a message's JSON, as a JSON value (not as
// a string holding it), for headless output that tools such as jq index
// into. ok is false, with dst as it was, when text is not one valid JSON
// object or array (RFC 8259: strict numbers, escapes and UTF-8; nested at
// most jsonrpc.MaxDepth deep): the caller writes it as a string instead.
// (A message is an object, a batch an array; a body that is a JSON string
// could not be told from a body written as a string.)
//
// A valid text is copied as it is, with one exception: a line must stay
// one line and readable on a terminal, so whitespace holding a line break
// is removed and, within strings, the characters appendString escapes
// beyond encoding/json (see invisible) and U+2028 / U+2029 are escaped as
// \uXXXX. asSent reports whether the value written is text byte for byte
// (the usual case: messages are sent compact). It is one validating pass
// over text, eight bytes a step through string contents, plus a rewriting
// pass only when asSent is false.
func appendJSONValue(dst []byte, text string) (_ []byte, asSent, ok bool) {
	if start, _ := skipWS(text, 0, false); start == len(text) || text[start] != '{' && text[start] != '[' {
		return dst, false, false
	}
	rewrite, ok := scanJSONValue(text)
	if !ok {
		return dst, false, false
	}
	if !rewrite {
		return append(dst, text...), true, true
	}
	return appendRewritten(dst, text), false, true
}

// scanJSONValue reports whether text is one valid JSON value and whether
// it must be rewritten to be copied into a line (a line break between
// tokens, or a character escaped within a string; see appendJSONValue).
func scanJSONValue(text string) (rewrite, ok bool) {
	var objects [(jsonrpc.MaxDepth + 64) / 64]uint64 // bit d: the container open at depth d is an object, not an array
	const maxDepth = jsonrpc.MaxDepth + 1
	depth := 0
	i := 0
	for {
		// A value.
		i, rewrite = skipWS(text, i, rewrite)
		if i >= len(text) {
			return false, false
		}
		switch c := text[i]; {
		case c == '{' || c == '[':
			if depth == maxDepth {
				return false, false
			}
			if c == '{' {
				objects[depth/64] |= 1 << (depth % 64)
			} else {
				objects[depth/64] &^= 1 << (depth % 64)
			}
			depth++
			i, rewrite = skipWS(text, i+1, rewrite)
			if i < len(text) && text[i] == c+2 { // '}' is '{'+2, ']' is '['+2
				depth--
				i++
				break
			}
			if c == '{' {
				if i, rewrite, ok = scanMemberName(text, i, rewrite); !ok {
					return false, false
				}
			}
			continue
		case c == '"':
			var r bool
			if i, r, ok = scanString(text, i); !ok {
				return false, false
			}
			rewrite = rewrite || r
		case c == '-' || c >= '0' && c <= '9':
			if i, ok = scanNumber(text, i); !ok {
				return false, false
			}
		case c == 't':
			if i, ok = scanLiteral(text, i, "true"); !ok {
				return false, false
			}
		case c == 'f':
			if i, ok = scanLiteral(text, i, "false"); !ok {
				return false, false
			}
		case c == 'n':
			if i, ok = scanLiteral(text, i, "null"); !ok {
				return false, false
			}
		default:
			return false, false
		}
		// After a value: the end, a separator, or containers closing.
		for {
			i, rewrite = skipWS(text, i, rewrite)
			if depth == 0 {
				return rewrite, i == len(text)
			}
			if i >= len(text) {
				return false, false
			}
			open := byte('[')
			if objects[(depth-1)/64]&(1<<((depth-1)%64)) != 0 {
				open = '{'
			}
			if text[i] == open+2 {
				depth--
				i++
				continue
			}
			if text[i] != ',' {
				return false, false
			}
			i++
			if open == '{' {
				i, rewrite = skipWS(text, i, rewrite)
				if i, rewrite, ok = scanMemberName(text, i, rewrite); !ok {
					return false, false
				}
			}
			break
		}
	}
}

// skipWS skips JSON whitespace from i; rewrite becomes true on a line break.
func skipWS(s string, i int, rewrite bool) (int, bool) {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t':
		case '\n', '\r':
			rewrite = true
		default:
			return i, rewrite
		}
		i++
	}
	return i, rewrite
}

// scanMemberName scans `"name" :` at i and returns where its value starts.
func scanMemberName(s string, i int, rewrite bool) (int, bool, bool) {
	if i >= len(s) || s[i] != '"' {
		return i, rewrite, false
	}
	i, r, ok := scanString(s, i)
	if !ok {
		return i, rewrite, false
	}
	i, rewrite = skipWS(s, i, rewrite || r)
	if i >= len(s) || s[i] != ':' {
		return i, rewrite, false
	}
	return i + 1, rewrite, true
}

// scanString scans the string at s[i] == '"': no control characters, valid
// escapes, valid UTF-8. rewrite is true when it holds a character that
// appendRewritten escapes.
func scanString(s string, i int) (end int, rewrite, ok bool) {
	i++
	for {
		i = skipPlain(s, i)
		// The next word holds a byte to look at: go byte by byte to its
		// end (and past it, for an escape or rune that straddles it)
		// before scanning words again, so that text dense with escapes
		// does not pay a word test per byte.
		for stop := i + 8; i < stop; {
			if i >= len(s) {
				return i, false, false
			}
			switch c := s[i]; {
			case c == '"':
				return i + 1, rewrite, true
			case c == '\\':
				if i+1 >= len(s) {
					return i, false, false
				}
				switch s[i+1] {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					i += 2
				case 'u':
					if len(s)-i < 6 || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) || !isHex(s[i+5]) {
						return i, false, false
					}
					i += 6
				default:
					return i, false, false
				}
			case c < 0x20:
				return i, false, false
			case c < utf8.RuneSelf:
				i++
			default:
				r, size := utf8.DecodeRuneInString(s[i:])
				if r == utf8.RuneError && size == 1 {
					return i, false, false
				}
				rewrite = rewrite || escapedInValue(r)
				i += size
			}
		}
	}
}

// escapedInValue reports whether appendRewritten escapes c in a string.
func escapedInValue(c rune) bool {
	return invisible(c) || c == '\u2028' || c == '\u2029'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// scanNumber scans a number at i: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(s string, i int) (int, bool) {
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i)
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			return i, false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return i, false
		}
		i = j
	}
	return i, true
}

func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

func scanLiteral(s string, i int, lit string) (int, bool) {
	if len(s)-i >= len(lit) && s[i:i+len(lit)] == lit {
		return i + len(lit), true
	}
	return i, false
}

// appendRewritten appends valid JSON text without whitespace between
// tokens and with, within strings, the characters escapedInValue names
// escaped (so it decodes to the same value).
func appendRewritten(dst []byte, text string) []byte {
	inString := false
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			i++
			continue
		case c == '"':
			inString = !inString
		case inString && c == '\\': // an escape: its next byte is not a closing quote
			dst = append(dst, c, text[i+1])
			i += 2
			continue
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(text[i:])
			if escapedInValue(r) {
				dst = appendUnicodeEscape(dst, r)
			} else {
				dst = append(dst, text[i:i+size]...)
			}
			i += size
			continue
		}
		dst = append(dst, c)
		i++
	}
	return dst
}
