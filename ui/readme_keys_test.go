package ui

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEKeyTable keeps the README's key tables (section "The UI": a
// bold group title, then a "| key | does |" table) and the key map
// in step, both ways: every binding is in the README under its group, with
// its keys and its description, in the key map's order, and the README
// lists no other. On a mismatch it prints the tables to paste.
func TestREADMEKeyTable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readmeKeyRows(string(b))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, g := range Keys() {
		for _, k := range g.Keys {
			want = append(want, g.Title+" | "+strings.Join(k.Keys, " ")+" | "+k.Doc)
		}
	}
	inWant, inGot := map[string]bool{}, map[string]bool{}
	for _, r := range want {
		inWant[r] = true
	}
	for _, r := range got {
		inGot[r] = true
		if !inWant[r] {
			t.Errorf("the README lists a key the key map does not have (group | keys | does): %s", r)
		}
	}
	for _, r := range want {
		if !inGot[r] {
			t.Errorf("the README lacks a key of the key map (group | keys | does): %s", r)
		}
	}
	if !t.Failed() && strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the README lists the keys in another order than the key map")
	}
	if t.Failed() {
		t.Logf("the key tables for the README's \"The UI\" section:\n\n%s", keyTables(Keys()))
	}
}

var backticked = regexp.MustCompile("`([^`]+)`")

// readmeKeyRows returns the key table rows of the README's "The UI"
// section as "group | keys (space separated) | does".
func readmeKeyRows(readme string) ([]string, error) {
	_, section, ok := strings.Cut(readme, "\n## The UI\n")
	if !ok {
		return nil, fmt.Errorf("README.md has no \"## The UI\" section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var rows []string
	group, inTable := "", false
	for _, line := range strings.Split(section, "\n") {
		switch {
		case strings.HasPrefix(line, "**") && strings.HasSuffix(line, "**"):
			group = strings.Trim(line, "*")
		case line == "| key | does |":
			inTable = true
		case !strings.HasPrefix(line, "|"):
			inTable = false
		case !inTable, strings.HasPrefix(line, "|---"):
		default:
			cells := strings.SplitN(strings.TrimSuffix(strings.TrimPrefix(line, "| "), " |"), " | ", 2)
			if len(cells) != 2 {
				return nil, fmt.Errorf("README key table row %q has not two cells", line)
			}
			var keys []string
			for _, m := range backticked.FindAllStringSubmatch(cells[0], -1) {
				keys = append(keys, m[1])
			}
			rows = append(rows, group+" | "+strings.Join(keys, " ")+" | "+cells[1])
		}
	}
	return rows, nil
}

// keyTables renders the key map as the README's tables.
func keyTables(groups []KeyGroup) string {
	var b strings.Builder
	for _, g := range groups {
		b.WriteString("**" + g.Title + "**\n\n| key | does |\n|---|---|\n")
		for _, k := range g.Keys {
			b.WriteString("| `" + strings.Join(k.Keys, "` / `") + "` | " + k.Doc + " |\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}
