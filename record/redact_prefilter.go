package record

import "strings"

// The fast path of message redaction: most messages hold no secret member
// name, and finding that out need not walk the JSON. A member name, as
// the walk finds it, is a string followed (after optional space) by ':'.
// So mayHoldName visits each ':' (strings.IndexByte: a vectorised scan,
// far cheaper than the walk's byte-by-byte state machine) and looks back
// at the string before it, if any; only when one of those could be a
// secret name does the walk run. It never says no where the walk would
// find a secret name (TestPrefilterNeverMissesWhatTheWalkFinds); it may
// say yes where the walk finds none (a ':' within a string value that
// happens to follow a quoted secret name), which only costs the walk.

// mayHoldName reports whether the walk could find a secret name in text.
func (j *jsonRedaction) mayHoldName(text string) bool {
	if j.names == nil {
		return false
	}
	for from := 0; ; {
		c := strings.IndexByte(text[from:], ':')
		if c < 0 {
			return false
		}
		c += from
		from = c + 1
		k := c - 1 // the closing quote of the name, if this ':' follows one
		for k >= 0 && (text[k] == ' ' || text[k] == '\t' || text[k] == '\n' || text[k] == '\r') {
			k--
		}
		if k < 1 || text[k] != '"' || text[k-1] == '\\' {
			// Not after a string; or after one whose text ends in a
			// backslash: an escaped quote, not the end of a name, or a
			// name ending in an escaped backslash, which no secret name
			// does.
			continue
		}
		q := k - 1
		for q >= 0 && nameByte[text[q]] {
			q--
		}
		// The name the walk reads ends at k and opens at some quote i. Its
		// bytes after i are name bytes, or it holds a byte that no secret
		// name has once decoded (a raw one, or the second of an escape
		// other than \u: '"', '/', '\\' or a control character), or an
		// escaped quote. So q is i, or q lies within the name at a byte
		// that rules it out; only q == i at a quote needs a look.
		if q < 0 || text[q] != '"' {
			continue
		}
		if j.mayBeSecretName(text[q+1 : k]) {
			return true
		}
	}
}

// mayBeSecretName reports whether the quoted member name whose text
// (between the quotes) is inner decodes to a secret name. Only \uXXXX
// escapes can spell a letter, '_' or '-'; any other escape decodes to a
// byte no secret name holds, or, undecodable, leaves the backslash.
func (j *jsonRedaction) mayBeSecretName(inner string) bool {
	b := strings.IndexByte(inner, '\\')
	if b < 0 {
		return j.secretName(inner)
	}
	for i := b; i < len(inner); i++ {
		if inner[i] == '\\' {
			if i+1 == len(inner) || inner[i+1] != 'u' {
				return false
			}
			i++
		}
	}
	return j.secretName(decodeKey(`"` + inner + `"`))
}

// nameByte marks the bytes of a member name's text that mayHoldName looks
// back over: letters and digits, '_' and '-', and the backslash of an
// escape (\u and its hex digits are letters and digits).
var nameByte = func() (t [256]bool) {
	for c := range t {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '\\'
	}
	return t
}()
