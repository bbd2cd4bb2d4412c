package filter

import "strings"

// Facts are the fields of a subject that are known before its body is
// read or its answer linked: enough to tell, for most messages, that a
// filter cannot match them whatever the rest holds. A rule set indexes its
// rules by them (rules.Set), and the proxy asks before it builds an
// observation on the data path.
type Facts struct {
	Direction string // as Subject.Direction
	Kind      string // as Subject.Kind
	Method    string // as Subject.Method, when MethodKnown
	Tool      string // as Subject.Tool
	// MethodKnown is false when the method is not known yet: an answer's
	// is its request's, found only when the answer is linked.
	MethodKnown bool
}

// FactsOf returns s's facts.
func FactsOf(s *Subject) Facts {
	return Facts{Direction: s.Direction, Kind: s.Kind, Method: s.Method, Tool: s.Tool, MethodKnown: true}
}

// MayMatch reports whether some subject with the facts k might match f. It
// is false only when none can: whatever the subject's other fields and
// body, Match would return false. It reads no body.
func (f *Filter) MayMatch(k Facts) bool {
	if f == nil || f.root == nil {
		return true
	}
	return eval(f.root, &k) != no
}

// tri is a truth value that may be unknown: what a filter says of every
// subject with some facts.
type tri uint8

const (
	unknown tri = iota
	no
	yes
)

// eval evaluates n over every subject with facts k: yes (or no) when n
// matches all (or none) of them, unknown otherwise. It must never say yes
// or no wrongly; unknown is always safe.
func eval(n node, k *Facts) tri {
	switch n := n.(type) {
	case andNode:
		out := yes
		for _, x := range n {
			switch eval(x, k) {
			case no:
				return no
			case unknown:
				out = unknown
			}
		}
		return out
	case orNode:
		out := no
		for _, x := range n {
			switch eval(x, k) {
			case yes:
				return yes
			case unknown:
				out = unknown
			}
		}
		return out
	case notNode:
		switch eval(n.inner, k) {
		case yes:
			return no
		case no:
			return yes
		}
		return unknown
	case textNode:
		// The bare word also looks at fields outside the facts (ids,
		// session, stream, flags, the body's name): it can only be known
		// to match.
		if n.seg.index(k.Kind) >= 0 || n.seg.index(k.Tool) >= 0 || k.MethodKnown && n.seg.index(k.Method) >= 0 {
			return yes
		}
		return unknown
	case *fieldNode:
		if !n.decidedBy(k) {
			return unknown
		}
		s := Subject{Direction: k.Direction, Kind: k.Kind, Method: k.Method, Tool: k.Tool, decoded: true}
		if n.match(&s) {
			return yes
		}
		return no
	}
	return unknown
}

// decidedBy reports whether the facts k alone decide f: whether f.match
// reads no field but Direction, Kind, Method (when known) and Tool, and
// no body. It mirrors fieldNode.match and Subject.name.
func (f *fieldNode) decidedBy(k *Facts) bool {
	switch f.key {
	case "dir", "kind":
		return true
	case "method":
		return k.MethodKnown
	case "tool", "name":
		if k.Tool != "" {
			return true // name returns the Tool
		}
		return f.key == "tool" && k.MethodKnown && k.Method != "tools/call" // name returns nothing
	case "prompt":
		return k.MethodKnown && k.Method != "prompts/get"
	case "resource":
		return k.MethodKnown && !strings.HasPrefix(k.Method, "resources/")
	}
	return false
}
