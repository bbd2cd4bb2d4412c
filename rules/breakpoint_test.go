package rules

import (
	"testing"
	"time"
)

// TestBreakpointDefaultTimeout is issue 14: a breakpoint without a timeout
// held its message until the user acted, so a forgotten one hung its
// client for ever. It now gets DefaultBreakpointTimeout; "timeout: 0"
// still asks for no timeout.
func TestBreakpointDefaultTimeout(t *testing.T) {
	cases := map[string]time.Duration{
		"":                 DefaultBreakpointTimeout,
		"  timeout: 30s\n": 30 * time.Second,
		"  timeout: 0s\n":  0,
	}
	for timeout, want := range cases {
		set, err := Parse([]byte("- name: hold\n  match: method:x\n  action: breakpoint\n"+timeout), "r.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if r := set.Rules[0]; r.Timeout != want || r.OnTimeout != "resume" {
			t.Errorf("%q: timeout %v on_timeout %q, want %v resume", timeout, r.Timeout, r.OnTimeout, want)
		}
	}
	if DefaultBreakpointTimeout != 5*time.Minute {
		t.Errorf("the default is %v; the README says 5m", DefaultBreakpointTimeout)
	}
}
