package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEChecklistTestsExist keeps the README's protocol checklist
// true: every row names at least one test, and every test it names exists
// in the repository's test files.
func TestREADMEChecklistTestsExist(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "### Protocol revisions: what mcpscope does")
	if !ok {
		t.Fatal("README.md has no \"Protocol revisions: what mcpscope does\" section")
	}
	if end := strings.Index(section, "\n#"); end >= 0 {
		section = section[:end]
	}
	defined := map[string]bool{}
	funcs := regexp.MustCompile(`(?m)^func (Test\w+)\(`)
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		for _, m := range funcs.FindAllStringSubmatch(string(b), -1) {
			defined[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile("`(Test\\w+)`")
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| revision") {
			continue
		}
		rows++
		tests := named.FindAllStringSubmatch(line, -1)
		if len(tests) == 0 {
			t.Errorf("checklist row names no test: %s", line)
		}
		for _, m := range tests {
			if !defined[m[1]] {
				t.Errorf("checklist names %s, which no test file defines: %s", m[1], line)
			}
		}
	}
	if rows < 10 {
		t.Errorf("the checklist has %d rows, want every requirement it covers (at least 10)", rows)
	}
}
