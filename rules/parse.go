package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mcpscope/mcpscope/filter"
)

// Parse reads rules from YAML: a list of rules, or a mapping whose "rules"
// key holds the list. Every mistake in the rules is reported, each with
// its line, in line order, joined (errors.Join; a file that is not YAML
// gives the parser's one error):
//
//	rules.yaml:7: rule "slow search": unknown action "dealy" (want one of continue, block, ...)
//
// A file is at most MaxFileSize bytes, and its aliases expand to at most
// maxAliasNodes nodes (a YAML "billion laughs" is refused before anything
// decodes it); each filter is bounded as filter.Parse says.
func Parse(data []byte, source string) (*Set, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: the file is larger than %d bytes (the limit of a rules file)", source, MaxFileSize)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", source, err)
	}
	if err := checkAliases(&doc); err != nil {
		return nil, fmt.Errorf("%s:%v", source, err)
	}
	set := &Set{Source: source}
	if len(doc.Content) == 0 {
		return set, nil // an empty file: no rules
	}
	list := doc.Content[0]
	if list.Kind == yaml.MappingNode {
		list = mappingValue(list, "rules")
		if list == nil {
			return nil, fmt.Errorf("%s:%d: expected a list of rules, or a \"rules:\" key holding one", source, doc.Content[0].Line)
		}
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: expected a list of rules", source, list.Line)
	}
	names := map[string]int{}
	var errs fileErrors
	for i, n := range list.Content {
		r, err := parseRule(n, i)
		if err != nil {
			errs = append(errs, err...)
			continue
		}
		if first, dup := names[r.Name]; dup {
			errs = append(errs, &lineError{r.Line, fmt.Sprintf("rule %q: the name is already used on line %d", r.Name, first)})
			continue
		}
		names[r.Name] = r.Line
		set.Rules = append(set.Rules, r)
	}
	if len(errs) > 0 {
		return nil, errs.in(source)
	}
	return set, nil
}

// fileErrors are the mistakes found in one rules file.
type fileErrors []*lineError

// in orders the errors by line and joins them, one "SOURCE:LINE: message"
// a line, into the error Parse returns (errors.Join: its Unwrap lists
// them).
func (errs fileErrors) in(source string) error {
	slices.SortStableFunc(errs, func(a, b *lineError) int { return a.line - b.line })
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = fmt.Errorf("%s:%v", source, e)
	}
	return errors.Join(out...)
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// lineError is an error at a line (formatted "LINE: message" after the
// source name).
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("%d: %s", e.line, e.msg) }

// fieldsFor lists the keys each action accepts besides name, match, action.
var fieldsFor = map[Action][]string{
	Continue:   {},
	Block:      {"status", "error"},
	Modify:     {"set", "delete"},
	Mock:       {"result", "error"},
	Delay:      {"delay"},
	Drop:       {},
	Breakpoint: {"timeout", "on_timeout", "error"},
	Cut:        {"after"},
	Malformed:  {"frame"},
	Inject:     {"notification"},
}

// parseRule reads one rule, or returns every mistake in it that can be
// told apart: a rule without a known action is checked no further, as
// what its other keys mean depends on the action.
func parseRule(n *yaml.Node, index int) (*Rule, fileErrors) {
	if n.Kind != yaml.MappingNode {
		return nil, fileErrors{{n.Line, fmt.Sprintf("rule %d: expected a mapping with name, match and action", index+1)}}
	}
	r := &Rule{Line: n.Line, Name: fmt.Sprintf("rule %d", index+1)}
	fields := map[string]*yaml.Node{}
	var errs fileErrors
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := fields[k.Value]; dup {
			errs = append(errs, &lineError{k.Line, fmt.Sprintf("%q appears twice", k.Value)})
			continue
		}
		fields[k.Value] = v
		if k.Value == "name" {
			r.Name = v.Value
		}
	}
	fail := func(at *yaml.Node, format string, args ...any) error {
		errs = append(errs, &lineError{at.Line, fmt.Sprintf("rule %q: ", r.Name) + fmt.Sprintf(format, args...)})
		return errs[len(errs)-1]
	}
	if match, ok := fields["match"]; !ok {
		fail(n, `no "match" filter (match: "" matches every message)`)
	} else if f, err := filter.Parse(match.Value); err != nil {
		fail(match, "%v", err)
	} else {
		r.Match = f
	}
	action, ok := fields["action"]
	if !ok {
		fail(n, "no action (want one of %s)", actionList())
		return nil, errs
	}
	r.Action = Action(action.Value)
	allowed, ok := fieldsFor[r.Action]
	if !ok {
		fail(action, "unknown action %q (want one of %s)", action.Value, actionList())
		return nil, errs
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Value != "name" && k.Value != "match" && k.Value != "action" && !slices.Contains(allowed, k.Value) {
			fail(k, "%q does not apply to action %s (it takes: %s)", k.Value, r.Action, strings.Join(append([]string{"name", "match"}, allowed...), ", "))
			delete(fields, k.Value)
		}
	}
	r.parseFields(fields, fail)
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// parseFields reads the action's own fields, reporting each mistake
// through fail; what the action needs is checked only when they all read.
func (r *Rule) parseFields(fields map[string]*yaml.Node, fail func(*yaml.Node, string, ...any) error) {
	failed := false
	for key, v := range fields {
		if err := r.parseField(key, v); err != nil {
			fail(v, "%v", err)
			failed = true
		}
	}
	if !failed {
		r.checkRequired(fields, fail)
	}
}

// parseField reads one of the action's fields; its error names the field.
func (r *Rule) parseField(key string, v *yaml.Node) error {
	var err error
	switch key {
	case "status":
		err = v.Decode(&r.Status)
		if err == nil && (r.Status < 400 || r.Status > 599) {
			return fmt.Errorf("status %d is not an HTTP error status (400–599)", r.Status)
		}
	case "error":
		var e RPCError
		var raw map[string]any
		if err = v.Decode(&raw); err == nil {
			b, _ := json.Marshal(raw)
			err = json.Unmarshal(b, &e)
		}
		if err == nil && e.Message == "" {
			return errors.New("error needs a message")
		}
		r.Error = &e
	case "set":
		if v.Kind != yaml.MappingNode {
			return errors.New("set takes a mapping of JSON path: value")
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			val, verr := jsonOf(v.Content[i+1])
			if verr != nil {
				return fmt.Errorf("set %s: %v", v.Content[i].Value, verr)
			}
			r.Set = append(r.Set, Assignment{Path: v.Content[i].Value, Value: val})
		}
	case "delete":
		err = v.Decode(&r.Delete)
	case "result":
		r.Result, err = jsonOf(v)
	case "notification":
		r.Notification, err = jsonOf(v)
		if err == nil {
			var m struct{ Method string }
			if json.Unmarshal(r.Notification, &m) != nil || m.Method == "" {
				return errors.New("notification needs a method")
			}
		}
	case "delay", "timeout":
		var d time.Duration
		if d, err = time.ParseDuration(v.Value); err == nil && d < 0 {
			err = errors.New("negative")
		}
		if key == "delay" {
			r.Delay = d
		} else {
			r.Timeout = d
		}
	case "on_timeout":
		r.OnTimeout = v.Value
		if !slices.Contains([]string{"resume", "drop", "error"}, v.Value) {
			return fmt.Errorf("on_timeout is resume, drop or error, not %q", v.Value)
		}
	case "after":
		err = v.Decode(&r.After)
		if err == nil && r.After < 0 {
			err = errors.New("negative")
		}
	case "frame":
		r.Frame = v.Value
	}
	if err != nil {
		return fmt.Errorf("%s: %v", key, err)
	}
	return nil
}

// checkRequired checks what each action needs, and fills in a
// breakpoint's defaults.
func (r *Rule) checkRequired(fields map[string]*yaml.Node, fail func(*yaml.Node, string, ...any) error) {
	need := map[Action]string{Modify: "set or delete", Mock: "result or error", Delay: "delay", Cut: "after", Malformed: "frame", Inject: "notification"}
	have := map[Action]bool{
		Modify: len(r.Set)+len(r.Delete) > 0, Mock: r.Result != nil || r.Error != nil, Delay: r.Delay > 0,
		Cut: fields["after"] != nil, Malformed: r.Frame != "", Inject: r.Notification != nil,
	}
	if what, ok := need[r.Action]; ok && !have[r.Action] {
		fail(&yaml.Node{Line: r.Line}, "action %s needs %s", r.Action, what)
	}
	if r.Action == Breakpoint && r.OnTimeout == "" {
		r.OnTimeout = "resume"
	}
	if r.Action == Breakpoint && fields["timeout"] == nil {
		r.Timeout = DefaultBreakpointTimeout
	}
}

// jsonOf converts a YAML value to JSON. A number whose YAML literal is
// already a JSON number keeps its literal, so integers beyond 2^53 (ids)
// survive; mappings come out with their keys sorted.
func jsonOf(n *yaml.Node) (json.RawMessage, error) {
	v, err := valueOf(n)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("not representable as JSON: %v", err)
	}
	return b, nil
}

// valueOf decodes a YAML node as json.Marshal will encode it, with
// numbers whose literal is a JSON number as that literal (json.Number).
func valueOf(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if t := n.ShortTag(); (t == "!!int" || t == "!!float") && json.Valid([]byte(n.Value)) {
			if _, err := strconv.ParseFloat(n.Value, 64); err == nil || errors.Is(err, strconv.ErrRange) {
				return json.Number(n.Value), nil
			}
		}
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := valueOf(c)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.MappingNode:
		if !hasMerge(n) {
			out := make(map[string]any, len(n.Content)/2)
			for i := 0; i+1 < len(n.Content); i += 2 {
				var k string
				if err := n.Content[i].Decode(&k); err != nil {
					return nil, err
				}
				v, err := valueOf(n.Content[i+1])
				if err != nil {
					return nil, err
				}
				out[k] = v
			}
			return out, nil
		}
	case yaml.AliasNode:
		return valueOf(n.Alias)
	}
	var v any
	err := n.Decode(&v)
	return v, err
}

// hasMerge reports whether a mapping uses YAML's merge key (<<), which
// plain decoding resolves.
func hasMerge(n *yaml.Node) bool {
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].ShortTag() == "!!merge" {
			return true
		}
	}
	return false
}

func actionList() string {
	names := make([]string, len(actions))
	for i, a := range actions {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}
