package rules

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// Modify applies the rule's set and delete to a JSON-RPC message and
// returns the new message. Paths are dotted (params.arguments.count;
// numbers index existing arrays; `\.` is a dot inside a key, as in
// params._meta.io\.modelcontextprotocol/protocolVersion); set creates
// missing objects on the way (and replaces a null), and a scalar on the
// way is an error. Only the addressed values change: every other byte of
// the message (ids and big integers, key order, whitespace) is kept; a
// value set is inserted as the rule's JSON, and a key set that was not
// there is appended to its object.
func (r *Rule) Modify(message string) (string, error) {
	if !gjson.Valid(message) {
		var v json.RawMessage
		err := json.Unmarshal([]byte(message), &v)
		return "", fmt.Errorf("rule %q: the message is not JSON: %v", r.Name, err)
	}
	var err error
	for _, a := range r.Set {
		if !json.Valid(a.Value) {
			return "", fmt.Errorf("rule %q: set %s: the value is not JSON", r.Name, a.Path)
		}
		if message, err = setPath(message, splitPath(a.Path), string(a.Value)); err != nil {
			return "", fmt.Errorf("rule %q: set %s: %v", r.Name, a.Path, err)
		}
	}
	for _, p := range r.Delete {
		if message, err = deletePath(message, splitPath(p)); err != nil {
			return "", fmt.Errorf("rule %q: delete %s: %v", r.Name, p, err)
		}
	}
	return message, nil
}

// splitPath splits a rule's dotted path into keys: `\.` is a dot inside a
// key and `\\` a backslash; any other backslash is kept as it is.
func splitPath(path string) []string {
	if !strings.Contains(path, `\`) {
		return strings.Split(path, ".")
	}
	var keys []string
	var key strings.Builder
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == '\\' && i+1 < len(path) && (path[i+1] == '.' || path[i+1] == '\\'):
			i++
			key.WriteByte(path[i])
		case c == '.':
			keys = append(keys, key.String())
			key.Reset()
		default:
			key.WriteByte(c)
		}
	}
	return append(keys, key.String())
}

// step is one key of a path resolved against a message: the gjson/sjson
// path component that addresses it, and the value found there.
type step struct {
	component string
	value     gjson.Result
	index     bool // the key indexes an array
}

// walk resolves keys against doc as far as they go. It returns a step for
// each key up to and including the first that is missing or null (whose
// value then does not exist or is null), and an error for a key that
// cannot be followed: an array index that is not one, or a key inside a
// scalar (the messages today's decoding gave).
func walk(doc gjson.Result, keys []string) ([]step, error) {
	steps := make([]step, 0, len(keys))
	cur := doc
	for _, k := range keys {
		var s step
		switch {
		case cur.IsObject():
			s.component = objectKey(k)
			s.value = cur.Get(escapeKey(k))
		case cur.IsArray():
			elems := cur.Array()
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(elems) {
				return nil, fmt.Errorf("%q is not an index of an array of %d", k, len(elems))
			}
			s.component, s.value, s.index = strconv.Itoa(i), elems[i], true
		default:
			return nil, fmt.Errorf("%q is inside a %s, not an object", k, goType(cur))
		}
		steps = append(steps, s)
		if !s.value.Exists() || s.value.Type == gjson.Null {
			break
		}
		cur = s.value
	}
	return steps, nil
}

// setPath sets the value (JSON text) at keys. A key missing on the way (or
// holding null) gets an object that nests the rest of the path: sjson's
// own creation would make arrays of numeric keys and pad indexes with null.
func setPath(message string, keys []string, value string) (string, error) {
	steps, err := walk(gjson.Parse(message), keys)
	if err != nil {
		return "", err
	}
	for i := len(keys) - 1; i >= len(steps); i-- {
		k, _ := json.Marshal(keys[i])
		value = "{" + string(k) + ":" + value + "}"
	}
	return sjson.SetRaw(message, joinSteps(steps), value)
}

// deletePath deletes the object member at keys (null or not); a path that
// does not lead to one deletes nothing (arrays keep their length).
func deletePath(message string, keys []string) (string, error) {
	steps, err := walk(gjson.Parse(message), keys)
	if err != nil || len(steps) != len(keys) || !steps[len(steps)-1].value.Exists() {
		return message, nil
	}
	if steps[len(steps)-1].index {
		return message, nil // an array element
	}
	return sjson.Delete(message, joinSteps(steps))
}

func joinSteps(steps []step) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = s.component
	}
	return strings.Join(parts, ".")
}

// objectKey is the sjson path component naming key k of an object: a
// numeric key is forced to be a key (":"), not an array index.
func objectKey(k string) string {
	if _, err := strconv.Atoi(k); err == nil || k == "" {
		return ":" + escapeKey(k)
	}
	return escapeKey(k)
}

// escapeKey escapes the characters gjson and sjson read as path syntax
// (. * ? | # @ ! \ and a leading :), so that k names a key literally.
func escapeKey(k string) string {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		switch c := k[i]; c {
		case '.', '*', '?', '|', '#', '@', '!', '\\', '=', '<', '>', '%', '[', ']', '{', '}', '(', ')', ',', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case ':':
			if i == 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// goType names a JSON value's type as encoding/json decodes it (the word
// Modify's errors have always used).
func goType(v gjson.Result) string {
	switch v.Type {
	case gjson.Number:
		return "float64"
	case gjson.String:
		return "string"
	case gjson.True, gjson.False:
		return "bool"
	case gjson.JSON:
		if v.IsArray() {
			return "[]interface {}"
		}
		return "map[string]interface {}"
	}
	return "nil"
}
