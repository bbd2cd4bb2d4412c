package recdiff

import (
	"fmt"
	"strings"
)

// Path is a parsed ignore path (ParsePath).
type Path []segment

// segment is one step of a Path.
type segment struct {
	pattern string // a member name or index; with * or ?, a glob
	glob    bool
	index   bool // "#": any array element
}

// maxPathSegments bounds a path given on the command line.
const maxPathSegments = 64

// ParsePath parses an ignore path, gjson-style, rooted at the JSON-RPC
// message: segments separated by dots, "\." for a dot within a name;
// "#" matches every element of an array; "*" and "?" in a segment match
// any run of bytes and any one byte of a member name or an
// array index (a segment with one such wildcard is a glob, where an
// escaped "*" or "?" is a wildcard too). Examples: result.structuredContent.requestId,
// result.content.#.text, params.arguments.nonce, result.*.etag.
func ParsePath(s string) (Path, error) {
	if s == "" {
		return nil, fmt.Errorf("empty ignore path")
	}
	var p Path
	var cur strings.Builder
	wild, escaped := false, false // the segment has an unescaped * or ?, an escaped byte
	flush := func() error {
		seg := cur.String()
		cur.Reset()
		defer func() { wild, escaped = false, false }()
		if seg == "" {
			return fmt.Errorf("ignore path %q has an empty segment", s)
		}
		if len(p) == maxPathSegments {
			return fmt.Errorf("ignore path %q has more than %d segments", s, maxPathSegments)
		}
		p = append(p, segment{pattern: seg, index: seg == "#" && !escaped, glob: wild})
		return nil
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			escaped = true
			cur.WriteByte(s[i])
		case c == '.':
			if err := flush(); err != nil {
				return nil, err
			}
		default:
			wild = wild || c == '*' || c == '?'
			cur.WriteByte(c)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return p, nil
}

// matches reports whether the segment matches a member name, or an array
// index (index true, name its decimal form).
func (s segment) matches(name string, index bool) bool {
	switch {
	case s.index:
		return index
	case s.glob:
		return glob(s.pattern, name)
	}
	return s.pattern == name
}

// glob matches name against a pattern of literal bytes, "*" (any run) and
// "?" (any one byte), in time linear in their lengths.
func glob(pattern, name string) bool {
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == name[n]):
			p++
			n++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
