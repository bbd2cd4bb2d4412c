package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRulesCheckAndTest(t *testing.T) {
	dir := t.TempDir()
	good, bad, rec := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml"), filepath.Join(dir, "rec.jsonl")
	writeFile(t, good, "- name: calls\n  match: method:tools/call\n  action: continue\n- name: progress\n  match: method:notifications/progress\n  action: drop\n")
	writeFile(t, bad, "- name: calls\n  match: method:tools/call\n  action: frobnicate\n")
	writeFile(t, rec, `{"format":"mcpscope-recording","version":1}
{"seq":1,"type":"message","time":"2026-11-26T09:00:00Z","direction":"client_to_server","kind":"request","method":"tools/call","id":1}
{"seq":2,"type":"sse_event","time":"2026-11-26T09:00:00Z","direction":"server_to_client","kind":"notification","method":"notifications/progress"}
{"seq":3,"type":"sse_event","time":"2026-11-26T09:00:00Z","direction":"server_to_client","kind":"result","method":"tools/call","id":1}
{"seq":4,"type":"mess`)
	var out, errOut bytes.Buffer
	if status := run(context.Background(), []string{"rules", "check", good}, &out, &errOut); status != 0 || !strings.Contains(out.String(), "2 rules, all valid") {
		t.Errorf("rules check good: %d %q %q", status, out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if status := run(context.Background(), []string{"rules", "check", bad}, &out, &errOut); status != 1 || !strings.Contains(errOut.String(), "bad.yaml:3:") {
		t.Errorf("rules check bad: %d %q, want status 1 and the line", status, errOut.String())
	}
	out.Reset()
	if status := run(context.Background(), []string{"rules", "test", good, rec}, &out, &errOut); status != 0 {
		t.Fatalf("rules test: %d %s", status, errOut.String())
	}
	for _, want := range []string{"#1 ", "calls (continue)", "#2 ", "progress (drop)", "3 messages", "matched 2", "matched 1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("rules test output lacks %q:\n%s", want, out.String())
		}
	}
	errOut.Reset()
	if status := run(context.Background(), []string{"-u", "http://127.0.0.1:1/mcp", "--rules", bad}, &out, &errOut); status != 2 || !strings.Contains(errOut.String(), "bad.yaml:3:") {
		t.Errorf("--rules with a broken file: %d %q, want it refused with the line", status, errOut.String())
	}
}

// TestRulesHotReload changes the rules file under a running mcpscope: the
// new rules apply to the next call, open streams stay open, and a broken
// edit keeps the rules in force.
func TestRulesHotReload(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rules.yaml")
	writeFile(t, file, "- name: nothing yet\n  match: tool:nothing\n  action: drop\n")
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	found, stdout := startCLIWaiting(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--rules", file},
		`listening on http://(\S+)`, `mcpscope: (1 rule from \S+) \(reloaded when it changes\)`) // said at start, on stderr
	addr := found[0]
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+addr+"/mcp", mcptest.ClientOptions{})
	echo := func() error {
		_, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
		return err
	}
	if err := echo(); err != nil {
		t.Fatal(err)
	}
	waitOutput := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(stdout.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the output", want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	writeFile(t, file, "# now block echo\n- name: no echo\n  match: tool:echo\n  action: block\n")
	waitOutput("loaded 1 rule from " + file)
	var rpcErr *jsonrpc.Error
	if err := echo(); !errors.As(err, &rpcErr) || rpcErr.Code != -32001 {
		t.Errorf("after the reload echo returned %v, want it blocked", err)
	}
	writeFile(t, file, "- name: no echo\n  match: tool:echo\n  action: blok\n")
	waitOutput("kept the rules in force")
	if !strings.Contains(stdout.String(), "rules.yaml:3:") {
		t.Errorf("the refused edit does not name its line")
	}
	if err := echo(); !errors.As(err, &rpcErr) {
		t.Errorf("after a broken edit echo returned %v, want the old rule still blocking", err)
	}
	if strings.Contains(stdout.String(), `"stream_kind":"get","reason"`) {
		t.Errorf("the GET stream closed during the reloads")
	}
}

// TestRulesTestPrintsNoEscapes: a recording holds the network's text; rules
// test prints a recorded method with its escape sequences removed, so a
// hostile server cannot retitle or clear the terminal of whoever checks
// rules against its traffic.
func TestRulesTestPrintsNoEscapes(t *testing.T) {
	dir := t.TempDir()
	rulesFile, rec := filepath.Join(dir, "r.yaml"), filepath.Join(dir, "rec.jsonl")
	writeFile(t, rulesFile, "- name: client\n  match: dir:client\n  action: continue\n")
	writeFile(t, rec, `{"format":"mcpscope-recording","version":1}
{"seq":1,"type":"message","time":"2026-11-26T09:00:00Z","direction":"client_to_server","kind":"request","method":"tools/call\u001b]0;pwned\u0007\u001b[2J","id":1}
`)
	var out, errOut bytes.Buffer
	if status := run(context.Background(), []string{"rules", "test", rulesFile, rec}, &out, &errOut); status != 0 {
		t.Fatalf("rules test: %d %s", status, errOut.String())
	}
	if !strings.Contains(out.String(), "tools/call") || !strings.Contains(out.String(), "client (continue)") {
		t.Fatalf("rules test did not print the matched message:\n%s", out.String())
	}
	if strings.ContainsAny(out.String(), "\x1b\x07") {
		t.Errorf("rules test printed the recording's escape sequences raw:\n%q", out.String())
	}
}

// TestRulesHostileFiles is issue 14: a match of 1.5 million nested "("
// ended mcpscope with "fatal error: stack overflow" in rules check, at
// start and on reload. The size limits of a file and of a filter now refuse
// that much; nesting within them (here 4000 levels) meets the depth limit.
// Every hostile file is an error naming the file, and a running mcpscope
// keeps the rules in force.
func TestRulesHostileFiles(t *testing.T) {
	dir := t.TempDir()
	deep := filepath.Join(dir, "deep.yaml")
	writeFile(t, deep, "- name: deep\n  match: \""+strings.Repeat("(", 4000)+"method:x"+strings.Repeat(")", 4000)+"\"\n  action: drop\n")
	var out, errOut bytes.Buffer
	if status := run(context.Background(), []string{"rules", "check", deep}, &out, &errOut); status != 1 || !strings.Contains(errOut.String(), `deep.yaml:2: rule "deep": filter: at column 65: nested deeper than 64 levels`) {
		t.Errorf("rules check: %d %.300q, want status 1 and the reason", status, errOut.String())
	}
	errOut.Reset()
	if status := run(context.Background(), []string{"-u", "http://127.0.0.1:1/mcp", "--rules", deep}, &out, &errOut); status != 2 || !strings.Contains(errOut.String(), "nested deeper than 64 levels") {
		t.Errorf("--rules: %d %.300q, want it refused", status, errOut.String())
	}

	file := filepath.Join(dir, "rules.yaml")
	writeFile(t, file, "- name: no echo\n  match: tool:echo\n  action: block\n")
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	found, stdout := startCLIWaiting(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--rules", file}, `listening on http://(\S+)`)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+found[0]+"/mcp", mcptest.ClientOptions{})
	for i, content := range []string{
		"- name: deep\n  match: \"" + strings.Repeat("(", 1_000_000) + "method:x" + strings.Repeat(")", 20) + "\"\n  action: drop\n",
		"- name: deep\n  match: \"" + strings.Repeat("(", 5000) + "method:x" + strings.Repeat(")", 5000) + "\"\n  action: drop\n",
		"a: &a [x, *a]\nrules:\n  - name: loop\n    match: tool:*\n    action: continue\n",
		"- name: a\n  match: [\n",
	} {
		writeFile(t, file, content)
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(stdout.String(), "kept the rules in force") <= i {
			if time.Now().After(deadline) {
				t.Fatalf("file %d: no refused reload in the output", i)
			}
			time.Sleep(20 * time.Millisecond)
		}
		_, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
		var rpcErr *jsonrpc.Error
		if !errors.As(err, &rpcErr) || rpcErr.Code != -32001 {
			t.Errorf("file %d: echo returned %v, want the old rule still blocking", i, err)
		}
	}
}

// TestRulesCheckReportsEveryError: a file with three mistakes in three
// rules (an unknown action, a filter that does not parse, a delay that is
// not a duration) and a fourth rule's duplicate name gets all four, each
// with its line, in line order, and exit status 1.
func TestRulesCheckReportsEveryError(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "three.yaml")
	writeFile(t, bad, `- name: typo
  match: method:tools/call
  action: frobnicate
- name: fine
  match: method:ping
  action: continue
- name: broken filter
  match: "method:("
  action: drop
- name: slow
  match: tool:search
  action: delay
  delay: soon
- name: fine
  match: ""
  action: continue
`)
	var out, errOut bytes.Buffer
	status := run(context.Background(), []string{"rules", "check", bad}, &out, &errOut)
	if status != 1 {
		t.Fatalf("rules check: status %d, want 1; stderr:\n%s", status, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	want := []string{
		`three.yaml:3: rule "typo": unknown action "frobnicate"`,
		`three.yaml:8: rule "broken filter": filter:`,
		`three.yaml:13: rule "slow": delay: time: invalid duration "soon"`,
		`three.yaml:14: rule "fine": the name is already used on line 4`,
		`three.yaml: 4 errors`,
	}
	if len(lines) != len(want) {
		t.Fatalf("rules check printed %d lines, want %d:\n%s", len(lines), len(want), errOut.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %q, want it to contain %q", i+1, lines[i], w)
		}
	}
}
