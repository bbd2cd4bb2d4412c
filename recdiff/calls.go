package recdiff

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/mcpscope/mcpscope/jsonrpc"
	"github.com/mcpscope/mcpscope/proxy"
)

// pendingCall is a request awaiting its answer: a call (key, index into
// its series) or a page of a listing.
type pendingCall struct {
	key   string // sha256 of direction, method and canonical params
	index int
	tool  string // a tools/call's tool, for latencies per tool

	list      List   // a list request's listing
	session   string // its session
	continued bool   // it asks for a next page (a cursor)
}

// series are the calls of one key, in order of occurrence.
type series struct {
	label string // method, name and params, cut, as shown (peer text)
	calls []call
}

// call is one request and its answer.
type call struct {
	seq      uint64 // the request's observation
	answered bool
	answer   string   // canonical {"result":…} or {"error":…}; "" when only digest is kept
	digest   [32]byte // of the canonical answer
}

// call notes a request that is not a list request.
func (s *Summary) call(o *proxy.Observation, env jsonrpc.Envelope) {
	if s.ncalls >= s.opts.MaxCalls {
		s.note(fmt.Sprintf("only the first %d requests were compared", s.opts.MaxCalls))
		return
	}
	params, name, err := s.canonicalParams(env.Params)
	if err != nil {
		s.note(fmt.Sprintf("a %s request's params are not JSON (%v): not compared", cut(o.Method, maxLabel), err))
		return
	}
	d := sha256.Sum256([]byte(string(o.Direction) + "\x00" + o.Method + "\x00" + params))
	key := string(d[:])
	sr := s.calls[key]
	if sr == nil {
		sr = &series{label: callLabel(o.Direction, o.Method, name, params)}
		s.calls[key] = sr
		s.order = append(s.order, key)
	}
	sr.calls = append(sr.calls, call{seq: o.Seq})
	s.ncalls++
	tool := ""
	if o.Method == "tools/call" {
		tool = name
	}
	s.pending[o.Seq] = pendingCall{key: key, index: len(sr.calls) - 1, tool: tool}
}

// canonicalParams returns the canonical params of a request (ignore
// paths from "params"), and the name it calls (params.name), if any.
func (s *Summary) canonicalParams(text string) (canon, name string, err error) {
	if text == "" {
		return "", "", nil
	}
	v, err := decode([]byte(text))
	if err != nil {
		return "", "", err
	}
	if m, ok := v.(map[string]any); ok {
		name, _ = m["name"].(string)
	}
	at, drop := s.params.advance(s.params.roots(), "params", false)
	if drop {
		return "", cut(name, maxLabel), nil
	}
	return encode(s.params.clean(v, at)), cut(name, maxLabel), nil
}

// callLabel names a call for people: direction (server requests only),
// method, name, and the rest of its params, cut short.
func callLabel(dir proxy.Direction, method, name, params string) string {
	label := cut(method, maxLabel)
	if dir == proxy.ServerToClient {
		label = "server→client " + label
	}
	if name != "" {
		label += " " + name
	}
	if v, ok := decodeCanonical(params).(map[string]any); ok {
		rest := any(v)
		if name != "" {
			if args, ok := v["arguments"]; ok && len(v) <= 2 {
				rest = args
			} else {
				delete(v, "name")
			}
		}
		if r := encode(rest); r != "{}" && r != "null" {
			label += " " + cut(r, 48)
		}
	}
	return label
}

// answered notes the answer to a call.
func (s *Summary) answered(o *proxy.Observation, p pendingCall) {
	sr := s.calls[p.key]
	if sr == nil || p.index >= len(sr.calls) {
		return
	}
	env := jsonrpc.Read(o.Body)
	member, text := "result", env.Result
	if o.Kind == proxy.KindError {
		member, text = "error", env.Error
	}
	c := &sr.calls[p.index]
	c.answered = true
	canon := `{"` + member + `":null}`
	if text != "" {
		v, err := decode([]byte(text))
		if err != nil {
			s.note(fmt.Sprintf("an answer to %s is not JSON (%v): compared as it is", cut(sr.label, maxLabel), err))
			v = text
		}
		at, drop := s.answer.advance(s.answer.roots(), member, false)
		if drop {
			v = nil
		} else {
			v = s.answer.clean(v, at)
		}
		canon = encode(map[string]any{member: v})
	}
	c.digest = sha256.Sum256([]byte(canon))
	switch {
	case len(canon) > MaxAnswer:
		s.note(fmt.Sprintf("answers larger than %d KiB are compared by digest only (where they differ is not shown)", MaxAnswer>>10))
	case !s.keep(len(canon)):
		s.note(fmt.Sprintf("past %d MiB of answers kept, later answers are compared by digest only", s.opts.MaxBytes>>20))
	default:
		c.answer = canon
	}
}

// hasCursor reports whether a list request's params carry a cursor (it
// asks for a next page).
func hasCursor(params string) bool {
	if params == "" {
		return false
	}
	var p struct {
		Cursor *json.RawMessage `json:"cursor"`
	}
	return json.Unmarshal([]byte(params), &p) == nil && p.Cursor != nil && string(*p.Cursor) != "null"
}
