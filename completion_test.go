package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// completionScript writes mcpscope's completion script for shell into a
// file and returns its path, skipping the test when the shell is absent
// (a failure with MCPSCOPE_REQUIRE_SHELLS=1, as CI sets).
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	if _, err := exec.LookPath(shell); err != nil {
		if os.Getenv("MCPSCOPE_REQUIRE_SHELLS") == "1" {
			t.Fatalf("%s is required (MCPSCOPE_REQUIRE_SHELLS=1) but not installed: apt-get install %s", shell, shell)
		}
		t.Skipf("%s not installed: its completion script is tested by running it in %s (install it, or set MCPSCOPE_REQUIRE_SHELLS=1 to make this a failure)", shell, shell)
	}
	var out, errOut bytes.Buffer
	if status := run(context.Background(), []string{"completion", shell}, &out, &errOut); status != 0 {
		t.Fatalf("mcpscope completion %s: status %d: %s", shell, status, errOut.String())
	}
	path := filepath.Join(t.TempDir(), "mcpscope."+shell)
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(shell, "-n", path).CombinedOutput(); err != nil {
		t.Fatalf("%s -n: the script does not parse: %v\n%s", shell, err, out)
	}
	return path
}

// shellOutput runs script in shell and returns its output's lines.
func shellOutput(t *testing.T, shell, script string) []string {
	t.Helper()
	out, err := exec.Command(shell, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", shell, err, out)
	}
	return strings.Fields(string(out))
}

// completionCases are what each shell must offer: the words typed so far
// (the last one being completed) and some of what must be offered, and
// what must not.
var completionCases = []struct {
	words     []string
	want, not []string
}{
	{[]string{"wr"}, []string{"wrap"}, []string{"demo"}},
	{[]string{"--up"}, []string{"--upstream"}, nil},
	{[]string{"wrap", "--rec"}, []string{"--record"}, nil},
	{[]string{"wrap", "--"}, []string{"--hub", "--config", "--help"}, []string{"--upstream"}}, // wrap's flags, not the proxy's
	{[]string{"export", "--f"}, []string{"--format"}, nil},
	{[]string{"--theme", ""}, []string{"auto", "dark", "light"}, nil},
	{[]string{"completion", ""}, []string{"bash", "zsh", "fish"}, nil},
}

func checkOffered(t *testing.T, shell string, words, got, want, not []string) {
	t.Helper()
	set := map[string]bool{}
	for _, w := range got {
		set[w] = true
	}
	for _, w := range want {
		if !set[w] {
			t.Errorf("%s, mcpscope %q: %q not offered; got %q", shell, words, w, got)
		}
	}
	for _, w := range not {
		if set[w] {
			t.Errorf("%s, mcpscope %q: %q offered; got %q", shell, words, w, got)
		}
	}
}

func TestCompletionBash(t *testing.T) {
	script := completionScript(t, "bash")
	for _, c := range completionCases {
		words := append([]string{"mcpscope"}, c.words...)
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = shellQuote(w)
		}
		got := shellOutput(t, "bash", "source "+shellQuote(script)+"; COMP_WORDS=("+strings.Join(quoted, " ")+
			"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _mcpscope; printf '%s\\n' \"${COMPREPLY[@]}\"")
		checkOffered(t, "bash", c.words, got, c.want, c.not)
	}
}

// TestCompletionZsh runs the zsh function with _describe and _files
// replaced by functions that print what they were given, _describe
// filtered by the word's prefix as zsh's own does (those run only inside
// the line editor).
func TestCompletionZsh(t *testing.T) {
	script := completionScript(t, "zsh")
	stubs := `compdef() { :; }; _describe() { local item; for item in ${(P)${@[-1]}}; do [[ ${item%%:*} == ${PREFIX}* ]] && print -r -- ${item%%:*}; done; true }; _files() { print FILES }; `
	for _, c := range completionCases {
		words := append([]string{"mcpscope"}, c.words...)
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = shellQuote(w)
		}
		got := shellOutput(t, "zsh", stubs+"source "+shellQuote(script)+"; words=("+strings.Join(quoted, " ")+
			"); CURRENT=${#words}; PREFIX=$words[CURRENT]; _mcpscope")
		checkOffered(t, "zsh", c.words, got, c.want, c.not)
	}
	got := shellOutput(t, "zsh", stubs+"source "+shellQuote(script)+"; words=(mcpscope open rec); CURRENT=3; PREFIX=rec; _mcpscope")
	checkOffered(t, "zsh", []string{"open", "rec"}, got, []string{"FILES"}, nil)
}

// TestCompletionFish asks fish itself (complete -C) what it offers.
func TestCompletionFish(t *testing.T) {
	script := completionScript(t, "fish")
	for _, c := range completionCases {
		line := "mcpscope " + strings.Join(c.words, " ")
		out := shellOutput(t, "fish", "source "+shellQuote(script)+"; complete -C "+shellQuote(line)+" | string replace -r '\\t.*' ''; true")
		checkOffered(t, "fish", c.words, out, c.want, c.not)
	}
}

// TestCompletionUsage: the command's own help and errors.
func TestCompletionUsage(t *testing.T) {
	if status, out, _ := runCLI("completion", "--help"); status != 0 || !strings.Contains(out, "source <(mcpscope completion bash)") {
		t.Errorf("completion --help: status %d, %q", status, out)
	}
	if status, _, errOut := runCLI("completion", "tcsh"); status != 2 || !strings.Contains(errOut, "want one shell: bash, zsh or fish") {
		t.Errorf("completion tcsh: status %d, %q", status, errOut)
	}
}
