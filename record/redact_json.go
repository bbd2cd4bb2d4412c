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
	// or number values are secrets, at any depth, and so are the string
	// and number leaves of an array or object that is such a value, at any
	// depth within it. An object that looks like a JSON Schema is the
	// exception, walked into instead (secret names within it still
	// redacted): one with a "type" member, or one anywhere under a
	// "properties", "inputSchema" or "outputSchema" member. A tool's
	// inputSchema declares "password": {"type": "string"}, and that is no
	// secret; {"password": {"value": "…"}} is.
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
	paths := len(j.paths) > 0 && j.mayHoldPath(text)
	if !paths && !j.mayHoldName(text) {
		return text, false // no secret name can be in it: nothing for the walk to do (see mayHoldName)
	}
	return j.walk(text, paths)
}

// walk is redact without the fast path: one pass of the walker, matching
// paths too if paths.
func (j *jsonRedaction) walk(text string, paths bool) (string, bool) {
	w := jsonWalker{j: j, s: text}
	if paths {
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
	// secrets are the open containers that are secret: a secret name's
	// value, or within one (their string and number leaves are redacted).
	secrets     []secretFrame
	schemaDepth int // the depth of the outermost open container under a schema member, or 0
	lookahead   int // bytes scanned by hasTypeMember, bounded by a multiple of len(s)
	out         []byte
	copied      int // s[:copied] is in out
}

// secretFrame is an open container whose leaves are secret.
type secretFrame struct {
	depth int
	array bool
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
		secretContainer, schema := false, false
		if atValue && c != ']' && c != '}' && c != ',' {
			atValue = false
			container := c == '[' || c == '{'
			secretContainer = container && w.secretContainer(i, key, member)
			if end, ok := w.secret(i, key, member, secretContainer); ok {
				w.replace(i, end)
				i, member = end, false
				continue
			}
			schema = container && member && w.schemaDepth == 0 && (key == "properties" || key == "inputSchema" || key == "outputSchema")
			member = false
		}
		switch c {
		case '{', '[':
			w.push(c == '[')
			if secretContainer {
				w.secrets = append(w.secrets, secretFrame{depth: w.depth, array: c == '['})
			}
			if schema {
				w.schemaDepth = w.depth
			}
			i++
			atValue = c == '['
		case '}', ']':
			if w.inSecret() {
				w.secrets = w.secrets[:len(w.secrets)-1]
			}
			if w.depth == w.schemaDepth {
				w.schemaDepth = 0
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
			} else if w.depth == 0 || w.inSecret() && w.secrets[len(w.secrets)-1].array {
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

// maxSecretContainers bounds the secret containers followed within one
// another; one deeper is redacted whole.
const maxSecretContainers = 64

// inSecret reports whether the innermost open container is secret.
func (w *jsonWalker) inSecret() bool {
	return len(w.secrets) > 0 && w.secrets[len(w.secrets)-1].depth == w.depth
}

// secretContainer reports whether the array or object starting at s[i],
// the value of member key if member, is secret: within a secret
// container, or the value of a secret name and not a schema.
func (w *jsonWalker) secretContainer(i int, key string, member bool) bool {
	if w.inSecret() {
		return true
	}
	if !member || w.j.names == nil || !w.j.secretName(key) {
		return false
	}
	return w.s[i] == '[' || w.schemaDepth == 0 && !w.hasTypeMember(i)
}

// hasTypeMember reports whether the object starting at s[i] has a member
// named "type". The bytes it scans are bounded, over the whole pass, by a
// multiple of the text's length (objects under secret names within one
// another are scanned again); past that it reports false, and the object
// is redacted.
func (w *jsonWalker) hasTypeMember(i int) bool {
	s := w.s
	depth := 0
	for j := i; j < len(s); {
		if w.lookahead++; w.lookahead > 4*len(s) {
			return false
		}
		switch s[j] {
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth <= 0 {
				return false
			}
		case '"':
			end := stringEnd(s, j)
			if depth == 1 {
				if next := skipSpace(s, end); next < len(s) && s[next] == ':' && decodeKey(s[j:end]) == "type" {
					return true
				}
			}
			w.lookahead += end - j
			j = end
			continue
		}
		j++
	}
	return false
}

func (w *jsonWalker) push(array bool) {
	w.depth++
	if w.paths && w.depth <= w.j.longest {
		w.stack = append(w.stack, frame{array: array})
	}
}

// secret reports whether the value starting at s[i] is redacted, and where
// it ends. key is the name of the member it is the value of, if member.
func (w *jsonWalker) secret(i int, key string, member, secretContainer bool) (end int, ok bool) {
	s := w.s
	if secretContainer && len(w.secrets) >= maxSecretContainers {
		return valueEnd(s, i), true // too deep to follow: the whole container
	}
	if s[i] != '{' && s[i] != '[' && (w.inSecret() || member && w.j.names != nil && w.j.secretName(key)) {
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
