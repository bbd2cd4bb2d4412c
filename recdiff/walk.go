package recdiff

import (
	"sort"
	"strconv"
	"strings"
)

// Difference is one place where two JSON values differ.
type Difference struct {
	// Path leads to the place, in ParsePath's syntax (so it can be given
	// to --ignore as it is): result.content.0.text.
	Path string `json:"path"`
	// Before and After are the values there, as compact canonical JSON cut
	// to MaxValue bytes (ending "…" when cut); "" where there is none (a
	// member or element only one side has).
	Before string `json:"before"`
	After  string `json:"after"`
}

const (
	// MaxDetails bounds the Differences reported for one item or answer.
	MaxDetails = 8
	// MaxValue bounds the bytes of a value shown in a Difference.
	MaxValue = 200
)

// differences walks two cleaned values and returns where they differ,
// depth first, members in name order, at most MaxDetails.
func differences(prefix string, a, b any) []Difference {
	var out []Difference
	walkDiff(prefix, a, b, &out)
	return out
}

func walkDiff(path string, a, b any, out *[]Difference) {
	if len(*out) >= MaxDetails {
		return
	}
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			for _, k := range unionKeys(av, bv) {
				x, inA := av[k]
				y, inB := bv[k]
				p := join(path, escapeSegment(k))
				switch {
				case !inA:
					add(out, p, "", encode(y))
				case !inB:
					add(out, p, encode(x), "")
				default:
					walkDiff(p, x, y, out)
				}
			}
			return
		}
	case []any:
		if bv, ok := b.([]any); ok {
			for i := 0; i < max(len(av), len(bv)); i++ {
				p := join(path, strconv.Itoa(i))
				switch {
				case i >= len(av):
					add(out, p, "", encode(bv[i]))
				case i >= len(bv):
					add(out, p, encode(av[i]), "")
				default:
					walkDiff(p, av[i], bv[i], out)
				}
			}
			return
		}
	}
	if x, y := encode(a), encode(b); x != y {
		add(out, path, x, y)
	}
}

func add(out *[]Difference, path, before, after string) {
	if len(*out) < MaxDetails {
		*out = append(*out, Difference{Path: path, Before: cut(before, MaxValue), After: cut(after, MaxValue)})
	}
}

func unionKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func join(prefix, seg string) string {
	if prefix == "" {
		return seg
	}
	return prefix + "." + seg
}

// escapeSegment writes a member name as a path segment: dots, backslashes
// and glob characters escaped.
func escapeSegment(k string) string {
	if !strings.ContainsAny(k, `.\*?`) && k != "#" {
		return k
	}
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		if c := k[i]; c == '.' || c == '\\' || c == '*' || c == '?' || (c == '#' && len(k) == 1) {
			b.WriteByte('\\')
		}
		b.WriteByte(k[i])
	}
	return b.String()
}

// cut shortens s to at most n bytes, on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - len("…")
	for i > 0 && !utf8RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// decodeCanonical decodes text made by encode.
func decodeCanonical(text string) any {
	v, err := decode([]byte(text))
	if err != nil {
		return text
	}
	return v
}
