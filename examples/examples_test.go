package examples_test

import (
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/examples"
	"github.com/mcpscope/mcpscope/filter"
	"github.com/mcpscope/mcpscope/rules"
)

// moreToTry returns the rules the example file offers commented out, after
// its "# More to try:" line, uncommented.
func moreToTry(t *testing.T) []byte {
	t.Helper()
	_, more, ok := strings.Cut(string(examples.Rules), "# More to try:\n")
	if !ok {
		t.Fatal(`examples/rules.yaml has no "# More to try:" section`)
	}
	var b strings.Builder
	for _, line := range strings.Split(more, "\n") {
		b.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "#"), " ") + "\n")
	}
	return []byte(b.String())
}

// TestExampleRulesParse: the rules in force and the ones offered to try.
func TestExampleRulesParse(t *testing.T) {
	if _, err := rules.Parse(examples.Rules, "examples/rules.yaml"); err != nil {
		t.Error(err)
	}
	set, err := rules.Parse(moreToTry(t), "examples/rules.yaml (more to try)")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Rules) < 5 {
		t.Errorf("%d rules to try, want every one of the section", len(set.Rules))
	}
}

// TestExampleHoldSamplingHoldsOnlyTheRequest is issue 14: the example's
// "hold sampling" matched the sampling request and also the client's
// answer (answers carry their request's method), so it held each exchange
// twice.
func TestExampleHoldSamplingHoldsOnlyTheRequest(t *testing.T) {
	set, err := rules.Parse(moreToTry(t), "more.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const method = "sampling/createMessage"
	request := &filter.Subject{Direction: "server_to_client", Kind: "request", Method: method, ID: "1",
		Body: `{"jsonrpc":"2.0","id":1,"method":"sampling/createMessage","params":{"messages":[],"maxTokens":100}}`}
	answer := &filter.Subject{Direction: "client_to_server", Kind: "result", Method: method, ID: "1",
		Body: `{"jsonrpc":"2.0","id":1,"result":{"role":"assistant","model":"m","content":{"type":"text","text":"hi"}}}`}
	holds := func(s *filter.Subject) bool {
		m := set.Match(s)
		return len(m) > 0 && m[len(m)-1].Action == rules.Breakpoint && m[len(m)-1].Name == "hold sampling"
	}
	if !holds(request) {
		t.Error("the sampling request is not held")
	}
	if holds(answer) {
		t.Error("the client's answer to the sampling request is held too")
	}
}
