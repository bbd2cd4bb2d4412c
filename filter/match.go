package filter

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

type node interface {
	match(s *Subject) bool
	cost() int // rough: 1 for a plain field, 10 when the body must be decoded
}

type andNode []node
type orNode []node
type notNode struct{ inner node }

func (n andNode) match(s *Subject) bool {
	for _, x := range n {
		if !x.match(s) {
			return false
		}
	}
	return true
}

func (n orNode) match(s *Subject) bool {
	for _, x := range n {
		if x.match(s) {
			return true
		}
	}
	return false
}

func (n notNode) match(s *Subject) bool { return !n.inner.match(s) }

func (n andNode) cost() int  { return sumCost(n) }
func (n orNode) cost() int   { return sumCost(n) }
func (n notNode) cost() int  { return n.inner.cost() }
func (n textNode) cost() int { return 2 }
func (f *fieldNode) cost() int {
	if f.key == "json" || f.key == "tool" || f.key == "prompt" || f.key == "resource" || f.key == "name" {
		return 10
	}
	return 1
}

func sumCost(ns []node) int {
	c := 0
	for _, n := range ns {
		c += n.cost()
	}
	return c
}

// cheapestFirst orders the operands of an and so that plain fields are
// tested before anything that decodes the body: most messages fail on the
// method or direction and never pay for JSON.
func cheapestFirst(n andNode) andNode {
	sort.SliceStable(n, func(i, j int) bool { return n[i].cost() < n[j].cost() })
	return n
}

// textNode is a bare word: a case-insensitive substring of the subject's
// main fields.
type textNode struct{ seg *segment }

func newText(s string) textNode { return textNode{newSegment(strings.ToLower(s), false)} }

func (n textNode) match(s *Subject) bool {
	for _, f := range [...]string{s.Method, s.ID, s.Session, s.Stream, s.Kind, s.EventType, s.Tool} {
		if n.seg.index(f) >= 0 {
			return true
		}
	}
	for _, f := range s.Flags {
		if n.seg.index(f) >= 0 {
			return true
		}
	}
	if s.Kind == "request" && (strings.Contains(s.Body, `"name"`) || strings.Contains(s.Body, `"uri"`)) {
		if name, ok := s.name("name"); ok && n.seg.index(name) >= 0 {
			return true
		}
	}
	return false
}

// fieldNode is key OP value.
type fieldNode struct {
	key   string
	path  []string // for key "json"
	op    string
	value string // lower-case
	glob  *glob  // the value compiled, when it is a glob
	num   float64
	isNum bool
}

func (f *fieldNode) match(s *Subject) bool {
	switch f.key {
	case "method":
		return f.text(s.Method, true)
	case "tool", "prompt", "resource", "name":
		name, ok := s.name(f.key)
		return f.text(name, ok)
	case "dir":
		return f.text(s.Direction, true)
	case "kind":
		if f.value == "response" && f.op == ":" {
			return s.Kind == "result" || s.Kind == "error"
		}
		return f.text(s.Kind, true)
	case "session":
		return f.text(s.Session, true)
	case "stream":
		return f.text(s.Stream, s.Stream != "")
	case "op":
		return f.text(s.Operation, s.Operation != "")
	case "id":
		return f.text(strings.Trim(s.ID, `"`), s.ID != "")
	case "event":
		return f.text(s.EventType, s.EventType != "")
	case "flag":
		for _, fl := range s.Flags {
			if f.text(fl, true) {
				return f.op != "!="
			}
		}
		return f.op == "!="
	case "status":
		return f.number(float64(s.Status), s.Status != 0)
	case "json":
		v, ok := s.lookup(f.path)
		if !ok {
			return f.op == "!="
		}
		switch x := v.(type) {
		case float64:
			if f.isNum {
				return f.number(x, true)
			}
			return f.text(strconv.FormatFloat(x, 'f', -1, 64), true)
		case string:
			return f.text(x, true)
		case bool:
			return f.text(strconv.FormatBool(x), true)
		case nil:
			return f.text("null", true)
		default:
			b, _ := json.Marshal(x)
			return f.text(string(b), true)
		}
	}
	return false
}

// text compares a string field; present says whether the field exists.
func (f *fieldNode) text(v string, present bool) bool {
	var eq bool
	switch {
	case !present:
		eq = false
	case f.value == "*":
		eq = true
	case f.glob != nil:
		eq = f.glob.match(v)
	case f.isNum && f.op != ":" && f.op != "=" && f.op != "!=":
		n, err := strconv.ParseFloat(v, 64)
		return err == nil && f.number(n, true)
	default:
		eq = strings.EqualFold(v, f.value)
	}
	if f.op == "!=" {
		return !eq
	}
	return eq
}

// number compares a numeric field.
func (f *fieldNode) number(v float64, present bool) bool {
	if !present {
		return f.op == "!="
	}
	if !f.isNum {
		return f.value == "*"
	}
	switch f.op {
	case ">":
		return v > f.num
	case ">=":
		return v >= f.num
	case "<":
		return v < f.num
	case "<=":
		return v <= f.num
	case "!=":
		return v != f.num
	}
	return v == f.num
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
