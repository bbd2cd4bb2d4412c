package filter

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Filter is a parsed filter expression: build it once with Parse, match it
// against many subjects. A Filter is immutable and safe for concurrent use.
// The empty expression matches everything.
type Filter struct {
	text string
	root node // nil matches everything
}

// Parse parses an expression. The language, in short:
//
//	method:tools/call            a key, a colon, a glob (* and ?), case-insensitive
//	tool:search*  prompt:greet   resource:file:///*   name:x (tool, prompt or resource)
//	dir:client  dir:server       who sent it (client→server, server→client)
//	kind:request|notification|result|error|response|invalid
//	session:abc*  stream:st-3  id:7  event:message  flag:oversized
//	op:op-3                      the operation (MRTR rounds, a task and its polls)
//	status>=400  status:404      HTTP status; also = != > >= < <=
//	params.arguments.count>10    a JSON path into the message (params., result.,
//	result.isError:true          error., or body. for the whole message)
//	progress                     a bare word: text in method, name, ids, session, stream, kind, flags
//	not X   !X   -X              negation
//	X Y   X and Y   X && Y       both (and binds tighter than or)
//	X or Y   X || Y              either
//	( ... )                      grouping
//	key:"with spaces"            a quoted value
//
// An expression is at most MaxLen bytes and MaxTerms terms, nested at most
// MaxDepth levels (parentheses and negations): past that Parse returns an
// error, so no input, however hostile, costs more than a bounded stack and
// a match costs at most about MaxLen steps per byte of the subject.
func Parse(text string) (*Filter, error) {
	if len(text) > MaxLen {
		return nil, &Error{MaxLen, fmt.Sprintf("the filter is longer than %d bytes", MaxLen)}
	}
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	f := &Filter{text: strings.TrimSpace(text)}
	if p.peek().kind == tokEnd {
		return f, nil
	}
	f.root, err = p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEnd {
		return nil, &Error{t.pos, fmt.Sprintf("unexpected %q", t.text)}
	}
	return f, nil
}

// MustParse is Parse for expressions known to be valid; it panics otherwise.
func MustParse(text string) *Filter {
	f, err := Parse(text)
	if err != nil {
		panic(err)
	}
	return f
}

// String returns the expression as written ("" for a nil Filter).
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	return f.text
}

// Match reports whether s matches.
func (f *Filter) Match(s *Subject) bool { return f == nil || f.root == nil || f.root.match(s) }

// The bounds of an expression (see Parse).
const (
	MaxLen   = 8 << 10 // bytes
	MaxTerms = 256     // terms and bare words
	MaxDepth = 64      // nested parentheses and negations
)

type parser struct {
	toks  []token
	i     int
	depth int // open parentheses and negations around the current token
	terms int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) or() (node, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	alts := orNode{left}
	for p.peek().kind == tokOr {
		p.next()
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		alts = append(alts, right)
	}
	if len(alts) == 1 {
		return left, nil
	}
	return alts, nil
}

func (p *parser) and() (node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	all := andNode{left}
	for {
		switch p.peek().kind {
		case tokAnd:
			p.next()
		case tokWord, tokString, tokNot, tokOpen:
		default:
			if len(all) == 1 {
				return left, nil
			}
			return cheapestFirst(all), nil
		}
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		all = append(all, right)
	}
}

// nest enters one more level of nesting at t, or fails past MaxDepth.
func (p *parser) nest(t token) error {
	p.depth++
	if p.depth > MaxDepth {
		return &Error{t.pos, fmt.Sprintf("nested deeper than %d levels", MaxDepth)}
	}
	return nil
}

// count counts one more term at t, or fails past MaxTerms.
func (p *parser) count(t token) error {
	p.terms++
	if p.terms > MaxTerms {
		return &Error{t.pos, fmt.Sprintf("more than %d terms", MaxTerms)}
	}
	return nil
}

func (p *parser) unary() (node, error) {
	switch t := p.next(); t.kind {
	case tokNot:
		if err := p.nest(t); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		inner, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notNode{inner}, nil
	case tokOpen:
		if err := p.nest(t); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokClose {
			return nil, &Error{c.pos, "missing )"}
		}
		return inner, nil
	case tokString:
		if err := p.count(t); err != nil {
			return nil, err
		}
		return newText(t.text), nil
	case tokWord:
		if err := p.count(t); err != nil {
			return nil, err
		}
		return term(t)
	case tokEnd:
		return nil, &Error{t.pos, "expression ends too soon"}
	default:
		return nil, &Error{t.pos, fmt.Sprintf("unexpected %q", t.text)}
	}
}

// operators, longest first so ">=" wins over ">".
var operators = []string{"!=", ">=", "<=", ":", "=", ">", "<"}

// keys maps every key (and alias) to its canonical name.
var keys = map[string]string{
	"method": "method", "m": "method", "tool": "tool", "prompt": "prompt", "resource": "resource", "name": "name",
	"dir": "dir", "direction": "dir", "kind": "kind", "session": "session", "stream": "stream", "id": "id",
	"status": "status", "event": "event", "flag": "flag", "op": "op", "operation": "op",
}

// term parses key OP value, or a bare word.
func term(t token) (node, error) {
	word, quoted, hasQuoted := strings.Cut(t.text, "\x00")
	at, op := -1, ""
	for i := 0; i < len(word) && at < 0; i++ {
		for _, o := range operators {
			if strings.HasPrefix(word[i:], o) {
				at, op = i, o
				break
			}
		}
	}
	if at <= 0 {
		if hasQuoted || at == 0 {
			return nil, &Error{t.pos, fmt.Sprintf("%q has no key before its operator", word)}
		}
		return newText(word), nil
	}
	key, value := strings.ToLower(word[:at]), word[at+len(op):]
	if hasQuoted {
		value = quoted
	}
	f := &fieldNode{op: op, value: strings.ToLower(value)}
	if canonical, ok := keys[key]; ok {
		f.key = canonical
	} else if root, _, ok := strings.Cut(key, "."); ok && (root == "params" || root == "result" || root == "error" || root == "body") {
		f.key, f.path = "json", strings.Split(word[:at], ".")
		if root == "body" {
			f.path = f.path[1:]
		}
	} else {
		return nil, &Error{t.pos, fmt.Sprintf("unknown key %q (keys: %s, or a JSON path like params.name)", key, knownKeys())}
	}
	if value == "" && op != ":" && op != "=" && op != "!=" {
		return nil, &Error{t.pos + at + len(op), fmt.Sprintf("%s%s needs a value", key, op)}
	}
	if n, err := strconv.ParseFloat(value, 64); err == nil {
		f.num, f.isNum = n, true
	} else if op == ">" || op == ">=" || op == "<" || op == "<=" {
		return nil, &Error{t.pos + at + len(op), fmt.Sprintf("%s%s needs a number, got %q", key, op, value)}
	}
	if f.key == "status" && !f.isNum && value != "*" {
		return nil, &Error{t.pos + at + len(op), fmt.Sprintf("status needs a number, got %q", value)}
	}
	if f.key == "dir" {
		d, ok := directions[f.value]
		if !ok {
			return nil, &Error{t.pos + at + len(op), fmt.Sprintf("dir is client or server, not %q", value)}
		}
		f.value = d
	}
	if op == ":" && strings.ContainsAny(f.value, "*?") {
		f.glob = compileGlob(f.value)
	}
	return f, nil
}

// directions maps what users write to Subject.Direction.
var directions = map[string]string{
	"client": "client_to_server", "c2s": "client_to_server", "client_to_server": "client_to_server", "up": "client_to_server",
	"server": "server_to_client", "s2c": "server_to_client", "server_to_client": "server_to_client", "down": "server_to_client",
}

func knownKeys() string {
	seen := map[string]bool{}
	var names []string
	for _, v := range keys {
		if !seen[v] {
			seen[v] = true
			names = append(names, v)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
