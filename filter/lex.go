package filter

import (
	"fmt"
	"strings"
)

// tokenKind classifies a token of a filter expression.
type tokenKind int

const (
	tokWord   tokenKind = iota // an unquoted run: a term or a bare word
	tokString                  // a double-quoted string
	tokAnd
	tokOr
	tokNot
	tokOpen
	tokClose
	tokEnd
)

type token struct {
	kind tokenKind
	text string
	pos  int // byte offset in the expression, for errors
}

// Error is a filter that does not parse; Pos is the byte offset (0-based)
// where the problem is.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("filter: at column %d: %s", e.Pos+1, e.Msg) }

// lex splits an expression into tokens: parentheses, quoted strings,
// and/or/not (also &&, ||, !, and a leading "-" or "!" on a word), and words.
func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{tokOpen, "(", i})
			i++
		case c == ')':
			out = append(out, token{tokClose, ")", i})
			i++
		case c == '"':
			str, n, err := readString(s[i:])
			if err != nil {
				return nil, &Error{i, err.Error()}
			}
			out = append(out, token{tokString, str, i})
			i += n
		case strings.HasPrefix(s[i:], "&&"):
			out = append(out, token{tokAnd, "&&", i})
			i += 2
		case strings.HasPrefix(s[i:], "||"):
			out = append(out, token{tokOr, "||", i})
			i += 2
		case (c == '!' || c == '-') && i+1 < len(s) && s[i+1] != ' ' && s[i+1] != '=':
			out = append(out, token{tokNot, string(c), i})
			i++
		case c == '!' && (i+1 == len(s) || s[i+1] == ' '):
			out = append(out, token{tokNot, "!", i})
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()\"", rune(s[j])) {
				j++
			}
			if j < len(s) && s[j] == '"' && j > i && strings.ContainsAny(s[i:j], ":=<>") {
				// key:"quoted value"
				str, n, err := readString(s[j:])
				if err != nil {
					return nil, &Error{j, err.Error()}
				}
				out = append(out, token{tokWord, s[i:j] + "\x00" + str, i})
				i = j + n
				continue
			}
			word := s[i:j]
			switch strings.ToLower(word) {
			case "and":
				out = append(out, token{tokAnd, word, i})
			case "or":
				out = append(out, token{tokOr, word, i})
			case "not":
				out = append(out, token{tokNot, word, i})
			default:
				out = append(out, token{tokWord, word, i})
			}
			i = j
		}
	}
	return append(out, token{tokEnd, "", len(s)}), nil
}

// readString reads a double-quoted string with backslash escapes (\" and
// \\) and returns its value and length in s.
func readString(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unterminated quoted string")
}
