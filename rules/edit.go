package rules

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Modify applies the rule's set and delete to a JSON-RPC message and
// returns the new message. Paths are dotted (params.arguments.count;
// numbers index arrays); set creates missing objects on the way. The result
// is compact JSON with its keys sorted: a changed message is re-encoded.
func (r *Rule) Modify(message string) (string, error) {
	var doc any
	if err := json.Unmarshal([]byte(message), &doc); err != nil {
		return "", fmt.Errorf("rule %q: the message is not JSON: %v", r.Name, err)
	}
	for _, a := range r.Set {
		var v any
		if err := json.Unmarshal(a.Value, &v); err != nil {
			return "", err
		}
		if err := setPath(&doc, strings.Split(a.Path, "."), v); err != nil {
			return "", fmt.Errorf("rule %q: set %s: %v", r.Name, a.Path, err)
		}
	}
	for _, p := range r.Delete {
		deletePath(doc, strings.Split(p, "."))
	}
	out, err := json.Marshal(doc)
	return string(out), err
}

func setPath(doc *any, path []string, v any) error {
	if len(path) == 0 {
		*doc = v
		return nil
	}
	switch cur := (*doc).(type) {
	case map[string]any:
		child := cur[path[0]]
		if err := setPath(&child, path[1:], v); err != nil {
			return err
		}
		cur[path[0]] = child
		return nil
	case []any:
		i, err := strconv.Atoi(path[0])
		if err != nil || i < 0 || i >= len(cur) {
			return fmt.Errorf("%q is not an index of an array of %d", path[0], len(cur))
		}
		return setPath(&cur[i], path[1:], v)
	case nil:
		m := map[string]any{}
		child := any(nil)
		if err := setPath(&child, path[1:], v); err != nil {
			return err
		}
		m[path[0]] = child
		*doc = m
		return nil
	default:
		return fmt.Errorf("%q is inside a %T, not an object", path[0], cur)
	}
}

func deletePath(doc any, path []string) {
	for len(path) > 1 {
		switch cur := doc.(type) {
		case map[string]any:
			doc = cur[path[0]]
		case []any:
			i, err := strconv.Atoi(path[0])
			if err != nil || i < 0 || i >= len(cur) {
				return
			}
			doc = cur[i]
		default:
			return
		}
		path = path[1:]
	}
	if m, ok := doc.(map[string]any); ok {
		delete(m, path[0])
	}
}

// ErrorAnswer returns the JSON-RPC error message answering the request
// with id (JSON text), for block (and a breakpoint's "error" outcome).
func (r *Rule) ErrorAnswer(id string) string {
	e := DefaultError
	if r.Error != nil {
		e = *r.Error
	}
	b, _ := json.Marshal(e)
	if id == "" {
		id = "null"
	}
	return `{"jsonrpc":"2.0","id":` + id + `,"error":` + string(b) + `}`
}

// MockAnswer returns the answer a mock rule gives the request with id.
func (r *Rule) MockAnswer(id string) string {
	if r.Result == nil {
		return r.ErrorAnswer(id)
	}
	if id == "" {
		id = "null"
	}
	return `{"jsonrpc":"2.0","id":` + id + `,"result":` + string(r.Result) + `}`
}

// InjectedMessage returns the notification an inject rule sends, as a
// complete JSON-RPC message.
func (r *Rule) InjectedMessage() string {
	var m map[string]any
	_ = json.Unmarshal(r.Notification, &m)
	m["jsonrpc"] = "2.0"
	delete(m, "id")
	b, _ := json.Marshal(m)
	return string(b)
}
