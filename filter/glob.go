package filter

import "strings"

// Globs and bare words match in time linear in the subject. A glob is split
// at its stars into segments: the first is anchored at the start of the
// subject, the last at its end, and each one between is found at its
// leftmost place after the one before. Leftmost is never worse than any
// later place (it leaves the most subject for the rest), so nothing is ever
// tried twice. A segment is found with Shift-And (Baeza-Yates and Gonnet,
// 1992): one pass over the subject, where each byte costs one shift and
// one AND per 64 bytes of the segment. A match so costs at most
// O(len(subject) × (1 + len(pattern)/64)), whatever the pattern.

// glob is a compiled pattern: * any run of bytes, ? any one byte, any
// other byte itself, ignoring ASCII case.
type glob struct {
	segs []*segment // the pattern split at its stars; one when it has none
}

// compileGlob compiles a lower-case pattern.
func compileGlob(pattern string) *glob {
	parts := strings.Split(pattern, "*")
	g := &glob{}
	for i, part := range parts {
		if part == "" && i > 0 && i < len(parts)-1 {
			continue // "**": nothing to find between the stars
		}
		g.segs = append(g.segs, newSegment(part, true))
	}
	return g
}

// match reports whether the whole of s matches.
func (g *glob) match(s string) bool {
	first := g.segs[0]
	if len(g.segs) == 1 {
		return len(s) == len(first.text) && first.at(s)
	}
	last := g.segs[len(g.segs)-1]
	if len(s) < len(first.text)+len(last.text) || !first.at(s) || !last.at(s[len(s)-len(last.text):]) {
		return false
	}
	rest := s[len(first.text) : len(s)-len(last.text)]
	for _, seg := range g.segs[1 : len(g.segs)-1] {
		i := seg.index(rest)
		if i < 0 {
			return false
		}
		rest = rest[i+len(seg.text):]
	}
	return true
}

// segment is a run of lower-case pattern bytes without a star, with what
// Shift-And needs to find it: for each class of subject byte, a mask whose
// bit j says that byte may stand at text[j]. text is lower case (newSegment
// requires it), so it holds at most 256-26 = 230 distinct bytes: with class
// 0, at most 231 classes, and a class number fits a uint8.
type segment struct {
	text  string
	wild  bool       // '?' matches any one byte (in a glob; a bare word's '?' is itself)
	words int        // uint64s in a mask: one per 64 bytes of text
	class [256]uint8 // a subject byte → its mask; 0 for a byte (folded) that text does not hold
	masks []uint64   // words per class
}

// newSegment compiles text, which must hold no ASCII upper-case letter.
func newSegment(text string, wild bool) *segment {
	g := &segment{text: text, wild: wild, words: (len(text) + 63) / 64}
	var slot [256]int // lower-case byte → its class, 0 if none yet
	classes := 1
	for i := 0; i < len(text); i++ {
		if c := text[i]; !(wild && c == '?') && slot[c] == 0 {
			slot[c] = classes
			classes++
		}
	}
	g.masks = make([]uint64, classes*g.words)
	for j := 0; j < len(text); j++ {
		bit, w := uint64(1)<<(j%64), j/64
		if wild && text[j] == '?' {
			for c := range classes {
				g.masks[c*g.words+w] |= bit
			}
			continue
		}
		g.masks[slot[text[j]]*g.words+w] |= bit
	}
	for b := range 256 {
		g.class[b] = uint8(slot[lower(byte(b))])
	}
	return g
}

// at reports whether s begins with the segment.
func (g *segment) at(s string) bool {
	if len(s) < len(g.text) {
		return false
	}
	for j := 0; j < len(g.text); j++ {
		if c := g.text[j]; c != lower(s[j]) && !(g.wild && c == '?') {
			return false
		}
	}
	return true
}

// index returns where the segment first occurs in s, or -1.
func (g *segment) index(s string) int {
	n := len(g.text)
	switch {
	case n == 0:
		return 0
	case g.words == 1: // the common case, without a slice
		var d uint64
		found := uint64(1) << (n - 1)
		for i := 0; i < len(s); i++ {
			if d = (d<<1 | 1) & g.masks[g.class[s[i]]]; d&found != 0 {
				return i - n + 1
			}
		}
		return -1
	}
	var small [4]uint64
	d := small[:0]
	if g.words > len(small) {
		d = make([]uint64, 0, g.words)
	}
	d = d[:g.words]
	top, found := (n-1)/64, uint64(1)<<((n-1)%64)
	for i := 0; i < len(s); i++ {
		m := g.masks[int(g.class[s[i]])*g.words:][:g.words]
		carry := uint64(1) // a match may start at every byte
		for w := range d {
			next := d[w] >> 63
			d[w] = (d[w]<<1 | carry) & m[w]
			carry = next
		}
		if d[top]&found != 0 {
			return i - n + 1
		}
	}
	return -1
}
