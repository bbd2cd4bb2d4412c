package recdiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// TimestampKeys are the member names whose string or number values are
// dropped from answers before they are compared (case-insensitively):
// values that differ between any two runs of the same call. Other
// run-dependent values need Options.Ignore.
var TimestampKeys = []string{"timestamp", "time", "date", "datetime", "createdAt", "updatedAt", "lastUpdatedAt", "lastModified"}

var timestampKeys = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range TimestampKeys {
		m[strings.ToLower(k)] = true
	}
	return m
}()

// cleaner drops what a comparison ignores from a decoded message: "_meta"
// members at every depth, timestamp members (when timestamps is set) and
// the members and elements at the ignore paths.
type cleaner struct {
	timestamps bool
	ignore     []Path
}

// cursor is how far one ignore path has matched.
type cursor struct{ path, seg int }

func (c *cleaner) roots() []cursor {
	if len(c.ignore) == 0 {
		return nil
	}
	cs := make([]cursor, len(c.ignore))
	for i := range c.ignore {
		cs[i] = cursor{path: i}
	}
	return cs
}

// advance moves the cursors past a member name or index: drop is true
// when an ignore path ends there.
func (c *cleaner) advance(at []cursor, name string, index bool) (next []cursor, drop bool) {
	for _, cur := range at {
		p := c.ignore[cur.path]
		if !p[cur.seg].matches(name, index) {
			continue
		}
		if cur.seg+1 == len(p) {
			return nil, true
		}
		next = append(next, cursor{cur.path, cur.seg + 1})
	}
	return next, false
}

// clean returns v without what c ignores (maps are changed in place) and
// with its numbers in one spelling.
func (c *cleaner) clean(v any, at []cursor) any {
	switch v := v.(type) {
	case map[string]any:
		for k, val := range v {
			if k == "_meta" || (c.timestamps && timestampKeys[strings.ToLower(k)] && isScalar(val)) {
				delete(v, k)
				continue
			}
			next, drop := c.advance(at, k, false)
			if drop {
				delete(v, k)
				continue
			}
			v[k] = c.clean(val, next)
		}
		return v
	case []any:
		out := v[:0]
		for i, val := range v {
			next, drop := c.advance(at, strconv.Itoa(i), true)
			if !drop {
				out = append(out, c.clean(val, next))
			}
		}
		return out
	case json.Number:
		return normalNumber(v)
	}
	return v
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, json.Number:
		return true
	}
	return false
}

// normalNumber spells a number one way: integers as integers (1.0 and 1e0
// are 1), other numbers in Go's shortest form.
func normalNumber(n json.Number) json.Number {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" {
			return "0"
		}
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return n
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return json.Number(strconv.FormatInt(int64(f), 10))
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

// decode parses one JSON value, numbers kept as json.Number. Trailing
// data is an error.
func decode(text []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return v, nil
}

// encode writes v as compact JSON with sorted keys (encoding/json sorts
// map keys) and without HTML escaping: canonical when v came from decode
// and clean.
func encode(v any) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return fmt.Sprintf("%q", err.Error()) // decoded JSON always encodes
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// canonical returns the canonical text of one JSON value after c's
// cleaning: two values are the same for a comparison when their canonical
// texts are equal.
func canonical(text []byte, c *cleaner) (string, error) {
	v, err := decode(text)
	if err != nil {
		return "", err
	}
	return encode(c.clean(v, c.roots())), nil
}
