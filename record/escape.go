package record

import (
	"slices"
	"unicode/utf8"
)

// skipPlain returns the end of the run of bytes from s[i] that a JSON
// string holds as they are (needsEscape finds none), eight bytes at a
// time, a word of four at a time in long runs; it may stop short of the
// run's end by less than eight bytes, which the caller takes one by one.
func skipPlain(s string, i int) int {
	for len(s)-i >= 8 && needsEscape(load64(s[i:])) == 0 {
		i += 8
		for len(s)-i >= 32 { // a long run: four words a step
			w := s[i : i+32]
			if plain(load64(w))&plain(load64(w[8:]))&plain(load64(w[16:]))&plain(load64(w[24:]))&tops != tops {
				break
			}
			i += 32
		}
	}
	return i
}

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it with HTML escaping off — `"`, `\` and control characters
// escaped (\b \f \n \r \t, else \u00XX), invalid UTF-8 replaced by \ufffd,
// U+2028 and U+2029 escaped, everything else copied — and, beyond it, the
// invisible characters a terminal or editor would act on or draw
// misleadingly (see invisible) escaped as \uXXXX. It is still JSON, and
// decodes to the same text.
//
// It goes eight bytes at a time: runs of words that need nothing are
// copied at once, and a word that does is escaped byte by byte without
// branching on each byte, so text dense with quotes is not slowed by
// mispredicted branches. It may write past len into dst's spare capacity,
// as append may.
//
// exact reports whether decoding the result gives s back byte for byte,
// which fails only when s is not valid UTF-8.
func appendString(dst []byte, s string) (_ []byte, exact bool) {
	exact = true
	n := len(dst)
	out := reserve(dst, n, len(s)+2)
	out[n] = '"'
	n++
	for i := 0; i < len(s); {
		j := skipPlain(s, i)
		if j > i {
			out = reserve(out, n, j-i)
			n += copy(out[n:], s[i:j])
			i = j
		}
		out = reserve(out, n, 2*8)
		end := min(i+8, len(s))
		for i < end {
			b := s[i]
			e := escapeOf[b]
			if e == rare {
				var ok bool
				out, n, i, ok = escapeRare(out, n, s, i)
				exact = exact && ok
				out = reserve(out, n, 2*8)
				continue
			}
			escaped := (uint(e) + 0xff) >> 8 // 1 when e is a letter, 0 when 0, without a branch
			pair := out[n : n+2]
			pair[0] = b ^ (b^'\\')&byte(-escaped)
			pair[1] = e
			n += 1 + int(escaped)
			i++
		}
	}
	out = reserve(out, n, 1)
	out[n] = '"'
	return out[:n+1], exact
}

// escapeRare writes the byte or rune at s[i] that is not plain ASCII
// text: a control character with no short escape, or a byte of a
// multi-byte rune. It returns the buffer, the bytes written so far, where
// the input goes on, and false for invalid UTF-8.
func escapeRare(out []byte, n int, s string, i int) ([]byte, int, int, bool) {
	out = reserve(out, n, 6)
	var esc [6]byte
	b := s[i]
	if b < utf8.RuneSelf {
		return out, n + copy(out[n:], appendUnicodeEscape(esc[:0], rune(b))), i + 1, true
	}
	c, size := utf8.DecodeRuneInString(s[i:])
	switch {
	case c == utf8.RuneError && size == 1:
		return out, n + copy(out[n:], `\ufffd`), i + 1, false
	case c == '\u2028' || c == '\u2029' || invisible(c):
		return out, n + copy(out[n:], appendUnicodeEscape(esc[:0], c)), i + size, true
	}
	return out, n + copy(out[n:], s[i:i+size]), i + size, true
}

// invisible reports whether c is escaped although encoding/json copies
// it: the C1 controls (U+0080–U+009F: U+009B is a terminal's CSI) and the
// bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069),
// which make text read other than it is.
func invisible(c rune) bool {
	return c >= 0x80 && c <= 0x9f || c >= 0x202a && c <= 0x202e || c >= 0x2066 && c <= 0x2069
}

// escapeInvisible escapes, in JSON text that encoding/json wrote, the
// characters appendString escapes beyond it (see invisible). Outside
// strings such JSON is ASCII, so any such character is within a string.
// It is one pass: text itself when there is nothing to escape, else a new
// buffer.
func escapeInvisible(text []byte) []byte {
	var out []byte
	copied := 0 // text[:copied] is in out
	for i := 0; i < len(text); {
		b := text[i]
		if b != 0xc2 && b != 0xe2 {
			i++
			continue
		}
		c, size := utf8.DecodeRune(text[i:])
		if !invisible(c) {
			i += size
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(text)+len(text)/4)
		}
		out = appendUnicodeEscape(append(out, text[copied:i]...), c)
		i += size
		copied = i
	}
	if out == nil {
		return text
	}
	return append(out, text[copied:]...)
}

// appendUnicodeEscape appends c (of the Basic Multilingual Plane) as \uXXXX.
func appendUnicodeEscape(dst []byte, c rune) []byte {
	return append(dst, '\\', 'u', hexDigits[c>>12&0xF], hexDigits[c>>8&0xF], hexDigits[c>>4&0xF], hexDigits[c&0xF])
}

// reserve returns buf, its first n bytes kept, with at least room bytes
// of capacity after them, resliced to its capacity.
func reserve(buf []byte, n, room int) []byte {
	if cap(buf)-n < room {
		buf = slices.Grow(buf[:n], room)
	}
	return buf[:cap(buf)]
}

// escapeOf says what becomes of each byte: 0, copied; a letter, escaped
// as a backslash and that letter; rare, handled by escapeRare (control
// characters without a letter, and bytes of multi-byte runes).
var escapeOf = func() (t [256]byte) {
	for b := range t {
		if b < 0x20 || b >= utf8.RuneSelf {
			t[b] = rare
		}
	}
	for b, letter := range map[byte]byte{'"': '"', '\\': '\\', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't'} {
		t[b] = letter
	}
	return t
}()

const rare = 1

const hexDigits = "0123456789abcdef"

// Word-at-a-time constants: one in every byte, and every byte's top bit.
const (
	ones = 0x0101010101010101
	tops = 0x8080808080808080
)

// load64 reads s's first eight bytes, the first in the low byte (the
// compiler makes this one load).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// plain returns x with the top bit set in exactly the bytes that are
// copied as they are: ASCII from 0x20 up, other than `"` and `\`. The low
// seven bits of each byte are tested with additions that cannot carry into
// the next byte. (The other bits of the result are noise.)
func plain(x uint64) uint64 {
	low := x & (ones * 0x7f)
	printable := low + ones*0x60                  // top bit set when low >= 0x20
	notQuote := (low ^ ones*'"') + ones*0x7f      // top bit set when low != '"'
	notBackslash := (low ^ ones*'\\') + ones*0x7f // top bit set when low != '\\'
	return printable & notQuote & notBackslash &^ x
}

// needsEscape returns a mask with the top bit set in exactly the bytes of
// x that are not plain: 0 when the whole word is copied as it is.
func needsEscape(x uint64) uint64 {
	return tops &^ plain(x)
}
