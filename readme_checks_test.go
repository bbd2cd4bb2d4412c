package main

import (
	"os"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/checks"
)

// TestREADMEListsEveryCheck keeps the README's "Protocol checks" table
// true: one row per rule the checker has, and no other.
func TestREADMEListsEveryCheck(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "### Protocol checks")
	if !ok {
		t.Fatal(`README.md has no "Protocol checks" section`)
	}
	section, _, _ = strings.Cut(section, "\n#")
	rows := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if id, ok := strings.CutPrefix(line, "| `"); ok {
			id, _, _ = strings.Cut(id, "`")
			rows[id] = true
			if checks.RuleByID(id) == nil {
				t.Errorf("README lists %q, which is no rule of package checks", id)
			}
		}
	}
	for _, r := range checks.Rules {
		if !rows[r.ID] {
			t.Errorf("README's Protocol checks table has no row for %s", r.ID)
		}
	}
}
