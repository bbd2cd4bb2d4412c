package ui

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/mcpscope/mcpscope/internal/termtext"
)

// prettyJSON indents JSON text and colours it (keys, strings, numbers,
// literals). Text that is not JSON comes back sanitized, uncoloured.
// Strings are sanitized, so escape sequences inside them cannot reach the
// terminal.
func prettyJSON(text string) string {
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(text), "", "  ") != nil {
		return termtext.SafeLines(text)
	}
	return colourJSON(buf.String())
}

// colourJSON colours indented, valid JSON token by token.
func colourJSON(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			style := styleJSONStr
			if k := strings.IndexFunc(s[j:], func(r rune) bool { return r != ' ' }); k >= 0 && s[j+k] == ':' {
				style = styleJSONKey
			}
			b.WriteString(render(style, termtext.Safe(s[i:j])))
			i = j
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && strings.IndexByte("0123456789.eE+-", s[j]) >= 0 {
				j++
			}
			b.WriteString(render(styleJSONNum, s[i:j]))
			i = j
		case c == 't' || c == 'f' || c == 'n':
			j := i
			for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
				j++
			}
			b.WriteString(render(styleJSONLit, s[i:j]))
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func render(style lipgloss.Style, s string) string { return style.Render(s) }
