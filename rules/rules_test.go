package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/filter"
)

const example = `
rules:
  - name: log every call
    match: method:tools/call
    action: continue
  - name: slow search
    match: tool:search*
    action: delay
    delay: 1500ms
  - name: no deletes
    match: tool:delete_*
    action: block
    error: {code: -32003, message: "deleting is not allowed here"}
  - name: teapot
    match: tool:brew
    action: block
    status: 418
  - name: tweak progress
    match: method:notifications/progress
    action: modify
    set: {params.message: "changed by mcpscope", params.extra.deep: [1, 2]}
    delete: [params.total]
  - name: offline weather
    match: tool:weather
    action: mock
    result: {content: [{type: text, text: sunny}]}
  - name: hold transfers
    match: tool:transfer
    action: breakpoint
    timeout: 30s
    on_timeout: error
  - name: cut
    match: dir:server stream:*
    action: cut
    after: 0
  - name: garbage
    match: event:garbage
    action: malformed
    frame: "data: {oops\n\n"
  - name: inject
    match: method:notifications/message
    action: inject
    notification: {method: notifications/message, params: {level: info, data: injected}}
`

func TestParseExample(t *testing.T) {
	set, err := Parse([]byte(example), "rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Rules) != 10 {
		t.Fatalf("%d rules, want 10", len(set.Rules))
	}
	r := set.Rules
	if r[1].Delay != 1500*time.Millisecond || r[1].Line != 6 {
		t.Errorf("delay rule = %+v", r[1])
	}
	if r[2].Error.Code != -32003 || r[3].Status != 418 {
		t.Errorf("block rules = %+v %+v", r[2].Error, r[3])
	}
	if r[6].Timeout != 30*time.Second || r[6].OnTimeout != "error" || r[7].After != 0 || r[8].Frame != "data: {oops\n\n" {
		t.Errorf("fault rules = %+v %+v %+v", r[6], r[7], r[8])
	}
	call := &filter.Subject{Kind: "request", Method: "tools/call", Body: `{"id":1,"method":"tools/call","params":{"name":"search_docs"}}`}
	got := set.Match(call)
	if len(got) != 2 || got[0].Name != "log every call" || got[1].Name != "slow search" {
		t.Errorf("Match(search call) = %v, want the continue rule then the delay", got)
	}
	if got := set.Match(&filter.Subject{Method: "ping"}); got != nil {
		t.Errorf("ping matched %v", got)
	}
}

func TestModify(t *testing.T) {
	set, _ := Parse([]byte(example), "rules.yaml")
	out, err := set.Rules[4].Modify(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1,"total":3}}`)
	if err != nil {
		t.Fatal(err)
	}
	// Only the addressed values change: other keys keep their order, new
	// keys are appended in the rule's order.
	want := `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1,"message":"changed by mcpscope","extra":{"deep":[1,2]}}}`
	if out != want {
		t.Errorf("Modify =\n %s\nwant\n %s", out, want)
	}
	if got := set.Rules[5].MockAnswer(`"x"`); got != `{"jsonrpc":"2.0","id":"x","result":{"content":[{"text":"sunny","type":"text"}]}}` {
		t.Errorf("MockAnswer = %s", got)
	}
	if got := set.Rules[2].ErrorAnswer("7"); got != `{"jsonrpc":"2.0","id":7,"error":{"code":-32003,"message":"deleting is not allowed here"}}` {
		t.Errorf("ErrorAnswer = %s", got)
	}
	if got := set.Rules[9].InjectedMessage(); got != `{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"injected","level":"info"}}` {
		t.Errorf("InjectedMessage = %s", got)
	}
}

func TestParseErrorsHaveLines(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"- name: a\n  match: method:x\n  action: blok\n", `r.yaml:3: rule "a": unknown action "blok"`},
		{"- name: a\n  action: drop\n", `r.yaml:1: rule "a": no "match"`},
		{"- name: a\n  match: methd:x\n  action: drop\n", `r.yaml:2: rule "a": filter: at column 1: unknown key "methd"`},
		{"- name: a\n  match: method:x\n  action: block\n  delay: 1s\n", `r.yaml:4: rule "a": "delay" does not apply to action block`},
		{"- name: a\n  match: method:x\n  action: delay\n  delay: soon\n", `r.yaml:4: rule "a": delay: time: invalid duration`},
		{"- name: a\n  match: method:x\n  action: delay\n", `r.yaml:1: rule "a": action delay needs delay`},
		{"- name: a\n  match: x\n  action: drop\n- name: a\n  match: y\n  action: drop\n", `r.yaml:4: rule "a": the name is already used on line 1`},
		{"- name: a\n  match: x\n  action: block\n  status: 200\n", `r.yaml:4: rule "a": status 200 is not an HTTP error status`},
		{"- name: a\n  match: x\n  action: inject\n  notification: {params: {}}\n", `r.yaml:4: rule "a": notification needs a method`},
		{"rules: 3\n", `r.yaml:1: expected a list of rules`},
		{"- [unclosed\n", `r.yaml: yaml: line 1`},
		{"- name: a\n  match: x\n  action: breakpoint\n  on_timeout: explode\n", `r.yaml:4: rule "a": on_timeout is resume, drop or error`},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.yaml), "r.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v\nwant an error containing %q", c.yaml, err, c.want)
		}
	}
	if set, err := Parse(nil, "empty.yaml"); err != nil || len(set.Rules) != 0 {
		t.Errorf("an empty file: %v, %v", set, err)
	}
}

// TestParseReportsEveryMistakeOfARule: one rule with a filter that does
// not parse, a key its action does not take and a status that is not an
// error gets all three, each at its line.
func TestParseReportsEveryMistakeOfARule(t *testing.T) {
	_, err := Parse([]byte(`- name: messy
  match: "kind:("
  action: block
  delay: 1s
  status: 200
`), "r.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`r.yaml:2: rule "messy": filter:`,
		`r.yaml:4: rule "messy": "delay" does not apply to action block`,
		`r.yaml:5: rule "messy": status 200 is not an HTTP error status`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d errors, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d = %q, want it to start %q", i+1, lines[i], w)
		}
	}
}
