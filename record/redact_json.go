package record

import (
	"encoding/json"
	"strconv"
	"strings"
)

// redactedJSON is what replaces a redacted JSON value: the marker, as a
// JSON string.
const redactedJSON = `"` + Redacted + `"`

// jsonRedaction redacts values in JSON-RPC message text, in place: every
// byte other than the redacted values is kept, so a message reads as it was
// sent and a body that lies within its SSE event's raw bytes still does.
//
// It is one tolerant pass over the text (strings, numbers, literals and
// punctuation; no tree is built), so it works on text that is not valid
// JSON too. Member names are compared by their decoded value ("api\u004bey"
// is apiKey).
type jsonRedaction struct {
	// names are normalized member names (see normalizeName) whose string
	// or number values are secrets, at any depth, and so are those of an
	// array that is such a value, and of arrays within it. Objects under
	// such a name are walked into, not redacted whole: a tool's inputSchema
	// declares "password": {"type": "string"}, and that is no secret.
	names map[string]bool
	ends  [256]uint32 // by a name's first byte, a bit per last byte (&31): most names are turned away without hashing
	// paths are --redact-path paths: the value there is redacted, whatever
	// it is. In text that is not valid JSON, where positions cannot be
	// trusted, the value of every member named like a path's last key is
	// redacted instead, at any depth.
	paths    [][]pathSeg
	lastKeys map[string]bool
	longest  int // segments of the longest path: deeper frames are not kept
}

// pathSeg is one segment of a --redact-path path.
type pathSeg struct {
	key   string // a member name (also tried as an array index)
	index int    // the array index key spells, or -1
	any   bool   // "*": any member or element
}

func compilePath(p string) []pathSeg {
	var segs []pathSeg
	for _, k := range strings.Split(p, ".") {
		s := pathSeg{key: k, index: -1, any: k == "*"}
		if n, err := strconv.Atoi(k); err == nil && n >= 0 {
			s.index = n
		}
		segs = append(segs, s)
	}
	return segs
}

// lastKey is the last segment of a path that names a member, or "".
func lastKey(segs []pathSeg) string {
	for i := len(segs) - 1; i >= 0; i-- {
		if !segs[i].any && segs[i].index < 0 {
			return segs[i].key
		}
	}
	return ""
}

// frame is an open object or array, and the member or element being read.
type frame struct {
	array bool
	key   string // the current member's name
	index int    // the current element's index
}

// redact returns text with its secret values replaced by "[redacted]",
// and whether it replaced any.
func (j *jsonRedaction) redact(text string) (string, bool) {
	w := jsonWalker{j: j, s: text}
	if len(j.paths) > 0 && j.mayHoldPath(text) {
		w.paths = true
		w.lenient = !json.Valid([]byte(text))
	}
	w.walk()
	if w.out == nil {
		return text, false
	}
	w.out = append(w.out, text[w.copied:]...)
	return string(w.out), true
}

// mayHoldPath reports cheaply whether text may hold a path's value: one of
// the last keys appears in it, or an escape that could spell one.
func (j *jsonRedaction) mayHoldPath(text string) bool {
	if strings.IndexByte(text, '\\') >= 0 {
		return true
	}
	for k := range j.lastKeys {
		if strings.Contains(text, k) {
			return true
		}
	}
	return len(j.lastKeys) < len(j.paths) // a path of indexes and wildcards only
}

// jsonWalker is one pass of a jsonRedaction over one text.
type jsonWalker struct {
	j       *jsonRedaction
	s       string
	paths   bool // match --redact-path paths
	lenient bool // the text is not valid JSON: match paths by their last key
	stack   []frame
	depth   int // open containers, including those deeper than stack keeps
	// secretArrays are the depths of the open arrays that are a secret
	// name's value (their string and number elements are redacted).
	secretArrays []int
	out          []byte
	copied       int // s[:copied] is in out
}

func (w *jsonWalker) walk() {
	s := w.s
	atValue := true // a value may start here (top level, after ':', '[' or ',' in an array)
	key, member := "", false
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		secretArray := false
		if atValue && c != ']' && c != '}' && c != ',' {
			atValue = false
			if end, ok := w.secret(i, key, member); ok {
				w.replace(i, end)
				i, member = end, false
				continue
			}
			// an array that is a secret name's value, or an element of one
			secretArray = c == '[' && (member && w.j.names != nil && w.j.secretName(key) || !member && w.inSecretArray())
			member = false
		}
		switch c {
		case '{':
			w.push(false)
			i++
		case '[':
			w.push(true)
			if secretArray {
				w.secretArrays = append(w.secretArrays, w.depth)
			}
			i++
			atValue = true
		case '}', ']':
			if w.inSecretArray() {
				w.secretArrays = w.secretArrays[:len(w.secretArrays)-1]
			}
			if w.depth > 0 {
				if w.depth <= len(w.stack) {
					w.stack = w.stack[:len(w.stack)-1]
				}
				w.depth--
			}
			i++
		case ',':
			if w.depth > 0 && w.depth <= len(w.stack) && w.stack[w.depth-1].array {
				w.stack[w.depth-1].index++
				atValue = true
			} else if w.depth == 0 || w.inSecretArray() {
				atValue = true
			}
			i++
		case ':':
			atValue = true
			i++
		case '"':
			end := stringEnd(s, i)
			if next := skipSpace(s, end); next < len(s) && s[next] == ':' {
				key, member = decodeKey(s[i:end]), true
				if w.depth > 0 && w.depth <= len(w.stack) {
					w.stack[w.depth-1].key = key
				}
			}
			i = end
		default:
			i = scalarEnd(s, i)
		}
	}
}

// maxSecretArrays bounds the secret arrays followed within one another;
// one deeper is redacted whole.
const maxSecretArrays = 64

// inSecretArray reports whether the innermost open container is an array
// that is a secret name's value.
func (w *jsonWalker) inSecretArray() bool {
	return len(w.secretArrays) > 0 && w.secretArrays[len(w.secretArrays)-1] == w.depth
}

func (w *jsonWalker) push(array bool) {
	w.depth++
	if w.paths && w.depth <= w.j.longest {
		w.stack = append(w.stack, frame{array: array})
	}
}

// secret reports whether the value starting at s[i] is redacted, and where
// it ends. key is the name of the member it is the value of, if member.
func (w *jsonWalker) secret(i int, key string, member bool) (end int, ok bool) {
	s := w.s
	named := member && w.j.names != nil && w.j.secretName(key)
	if (named || !member && w.inSecretArray()) && s[i] == '[' && len(w.secretArrays) >= maxSecretArrays {
		return valueEnd(s, i), true // too deep to follow: the whole array
	}
	if (named || !member && w.inSecretArray()) && s[i] != '{' && s[i] != '[' {
		end = valueEnd(s, i)
		if lit := s[i:end]; lit != "null" && lit != "true" && lit != "false" {
			return end, true
		}
	}
	if !w.paths {
		return 0, false
	}
	if w.lenient {
		if member && w.j.lastKeys[key] {
			return valueEnd(s, i), true
		}
		return 0, false
	}
	if w.depth == 0 || w.depth > len(w.stack) {
		return 0, false
	}
	for _, p := range w.j.paths {
		if len(p) == w.depth && w.at(p) {
			return valueEnd(s, i), true
		}
	}
	return 0, false
}

// at reports whether the value being read is at path p (as long as the
// stack).
func (w *jsonWalker) at(p []pathSeg) bool {
	for d, seg := range p {
		f := &w.stack[d]
		switch {
		case seg.any:
		case f.array && seg.index != f.index:
			return false
		case !f.array && seg.key != f.key:
			return false
		}
	}
	return true
}

// replace puts the marker in place of s[start:end].
func (w *jsonWalker) replace(start, end int) {
	if w.out == nil {
		w.out = make([]byte, 0, len(w.s)+len(redactedJSON))
	}
	w.out = append(w.out, w.s[w.copied:start]...)
	w.out = append(w.out, redactedJSON...)
	w.copied = end
}
