package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostile are rules files no load may accept, each with what its error
// says: issue 14 ("rules must never take the proxy down").
var hostile = map[string]struct{ file, want string }{
	"deep filter": { // within every size limit: the depth limit stops the parser, not its stack
		"- name: deep\n  match: \"" + strings.Repeat("(", 2000) + "method:x" + strings.Repeat(")", 2000) + "\"\n  action: drop\n",
		`rules.yaml:2: rule "deep": filter: at column 65: nested deeper than 64 levels`},
	"100 thousand (": { // within the file's size limit, past the filter's
		"- name: deep\n  match: \"" + strings.Repeat("(", 100_000) + "\"\n  action: drop\n",
		`rules.yaml:2: rule "deep": filter: at column 8193: the filter is longer than 8192 bytes`},
	"1.5 million (": { // once a stack overflow (fatal, whatever recovers); now past the file's size limit first
		"- name: deep\n  match: \"" + strings.Repeat("(", 1_500_000) + "\"\n  action: drop\n",
		"rules.yaml: the file is larger than 1048576 bytes"},
	"huge file": {
		"- name: a\n  match: method:x\n  action: drop\n" + strings.Repeat("# padding\n", MaxFileSize/10+1),
		"rules.yaml: the file is larger than"},
	"invalid YAML": {"- name: a\n  match: [method:x\n  action: drop\n", "rules.yaml: yaml:"},
	"alias expansion": { // passes the YAML library's own alias ratio check
		"defs: &a [" + strings.Repeat("x,", 999) + "x]\nrules:\n  - name: big\n    match: method:x\n    action: mock\n" +
			"    result: {pad: [" + strings.Repeat("0,", 2999) + "0], x: [" + strings.Repeat("*a,", 199) + "*a]}\n",
		"rules.yaml:6: aliases expand to more than 100000 YAML nodes"},
	"alias loop": {"a: &a [x, *a]\nrules: []\n", "rules.yaml:1: aliases expand to more than"},
}

func TestLoadRefusesHostileFiles(t *testing.T) {
	dir := t.TempDir()
	for name, c := range hostile {
		path := filepath.Join(dir, "rules.yaml")
		if err := os.WriteFile(path, []byte(c.file), 0o600); err != nil {
			t.Fatal(err)
		}
		set, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), strings.Replace(c.want, "rules.yaml", path, 1)) {
			got := "no error"
			if err != nil {
				got = err.Error()
				got = got[:min(len(got), 300)]
			}
			t.Errorf("%s: Load = %v, %s; want an error saying %q", name, set != nil, got, c.want)
		}
	}
}
