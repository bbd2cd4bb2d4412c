// Package rules reads interceptor rules: a filter (the filter package's
// language) and an action each, from a YAML file, validated with the line
// of every mistake. The engine (package proxy) applies them.
package rules

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mcpscope/mcpscope/filter"
)

// Action is what a rule does to the messages it matches.
type Action string

const (
	Continue   Action = "continue"   // let it through (the decision is recorded)
	Block      Action = "block"      // answer a request with an error (or HTTP status) instead of forwarding it
	Modify     Action = "modify"     // set or delete JSON paths
	Mock       Action = "mock"       // answer a request with a result, without the upstream
	Delay      Action = "delay"      // hold it for a while, then let it through
	Drop       Action = "drop"       // forward nothing
	Breakpoint Action = "breakpoint" // hold it until the user resumes (maybe edited), drops or fails it
	Cut        Action = "cut"        // end the SSE stream after N events
	Malformed  Action = "malformed"  // send a malformed frame in place of the event
	Inject     Action = "inject"     // send a notification into the stream, after the event
)

var actions = []Action{Continue, Block, Modify, Mock, Delay, Drop, Breakpoint, Cut, Malformed, Inject}

// RPCError is a JSON-RPC error object.
type RPCError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Assignment sets a JSON path to a value.
type Assignment struct {
	Path  string
	Value json.RawMessage
}

// Rule is one rule of a file.
type Rule struct {
	Name   string
	Match  *filter.Filter
	Action Action
	Line   int // where the rule starts in its file

	Status int       // block: answer with this HTTP status instead of a JSON-RPC error
	Error  *RPCError // block (default: code -32001), breakpoint's "error" outcome

	Set    []Assignment // modify
	Delete []string     // modify

	Result json.RawMessage // mock: the result object

	Delay time.Duration // delay

	Timeout   time.Duration // breakpoint: how long to hold (DefaultBreakpointTimeout when the file gives none; 0: until the user acts)
	OnTimeout string        // breakpoint: "resume", "drop" or "error"

	After int // cut: events forwarded before the cut

	Frame string // malformed: the bytes to send

	Notification json.RawMessage // inject: the notification (method, params)
}

// Set is a file's rules, in order.
type Set struct {
	Source string  // the file, for messages
	Rules  []*Rule // not to be changed once the Set is in use (Match indexes them)

	index index // the rules that may match, by a message's facts (index.go)
}

// MaxFileSize is the largest rules file Load and Parse accept.
const MaxFileSize = 1 << 20

// Load reads and validates a rules file of at most MaxFileSize bytes.
func Load(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading rules: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading rules: %w", err)
	}
	return Parse(data, path)
}

// Match returns the rules that apply to s, in order: every matching
// "continue" rule up to and including the first matching rule of any other
// action (which decides). It returns nil when none matches. A nil Set
// matches nothing. Only the rules that may match s's facts are tried
// (filter.Filter.MayMatch, index.go): the others cannot match it.
func (set *Set) Match(s *filter.Subject) []*Rule {
	if set == nil {
		return nil
	}
	return matchIn(set.candidates(filter.FactsOf(s)), s)
}

// matchIn is Match over rules.
func matchIn(rules []*Rule, s *filter.Subject) []*Rule {
	var out []*Rule
	for _, r := range rules {
		if r.Match.Match(s) {
			out = append(out, r)
			if r.Action != Continue {
				return out
			}
		}
	}
	return out
}

// DefaultBreakpointTimeout is how long a breakpoint holds a message when
// its rule gives no timeout, so that a forgotten breakpoint cannot hang a
// client for ever; then on_timeout applies (resume, unless the rule says).
// "timeout: 0" holds until the user acts.
const DefaultBreakpointTimeout = 5 * time.Minute

// DefaultError is the JSON-RPC error a block answers with when the rule
// names none.
var DefaultError = RPCError{Code: -32001, Message: "blocked by mcpscope rule"}
