package main

import (
	"os"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// writeConfig writes a config file into a directory of the test's own and
// returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// exportKind names what mcpscope export wrote: HAR, Markdown or JSON Lines.
func exportKind(out string) string {
	switch {
	case strings.HasPrefix(out, `{"log"`) || strings.HasPrefix(out, "{\n  \"log\""):
		return "har"
	case strings.HasPrefix(out, "#"):
		return "markdown"
	case strings.HasPrefix(out, "{"):
		return "jsonl"
	}
	return "unknown: " + out[:min(len(out), 40)]
}

// TestSettingsPrecedence runs mcpscope export with --format from each
// source in turn: the command line wins over MCPSCOPE_FORMAT, which wins
// over the config file's [export] section, which wins over its top level.
func TestSettingsPrecedence(t *testing.T) {
	topOnly := writeConfig(t, "# formats\nformat = markdown\n")
	withSection := writeConfig(t, "format = markdown\n\n[export]\nformat = \"jsonl\"\n")
	for _, c := range []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"default", "", nil, "har"},
		{"config top level", "", []string{"--config", topOnly}, "markdown"},
		{"config section over top level", "", []string{"--config", withSection}, "jsonl"},
		{"environment over config", "har", []string{"--config", withSection}, "har"},
		{"flag over environment", "har", []string{"--config", withSection, "-f", "markdown"}, "markdown"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv("MCPSCOPE_FORMAT", c.env)
			}
			status, out, errOut := runCLI("export", append([]string{exportSample}, c.args...)...)
			if status != 0 {
				t.Fatalf("status %d: %s", status, errOut)
			}
			if got := exportKind(out); got != c.want {
				t.Errorf("wrote %s, want %s", got, c.want)
			}
		})
	}
}

// TestConfigFileInTheUsersConfigDirectory: with neither --config nor
// MCPSCOPE_CONFIG, the file is $XDG_CONFIG_HOME/mcpscope/config.
func TestConfigFileInTheUsersConfigDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", dir) // macOS reads ~/Library/Application Support instead
	t.Setenv(envName(configFlag), "")
	os.Unsetenv(envName(configFlag)) // t.Setenv restores it
	if status, out, errOut := runCLI("export", exportSample); status != 0 || exportKind(out) != "har" {
		t.Fatalf("with no config file: status %d, %s, %s", status, exportKind(out), errOut)
	}
	configDir, err := os.UserConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(configDir, "mcpscope"), 0o700)
	if err := os.WriteFile(filepath.Join(configDir, "mcpscope", "config"), []byte("[export]\nformat = markdown\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if status, out, errOut := runCLI("export", exportSample); status != 0 || exportKind(out) != "markdown" {
		t.Fatalf("with %s/mcpscope/config: status %d, %s, %s", configDir, status, exportKind(out), errOut)
	}
}

// TestSettingsErrors: a bad setting stops the command with status 2 and
// a message naming the file and line, or the variable.
func TestSettingsErrors(t *testing.T) {
	for _, c := range []struct {
		config, env, says string
	}{
		{config: "lisen = 127.0.0.1:9000\n", says: "config:1: no command has a flag --lisen"},
		{config: "# x\n[wrap]\nupstream = http://x\n", says: "config:3: mcpscope wrap has no flag --upstream"},
		{config: "[teleport]\n", says: `no command "teleport"`},
		{config: "[export\n", says: "config:1: a section is [command]"},
		{config: "format\n", says: `config:1: want "name = value"`},
		{config: "format = \"har\n", says: "config:1: format: a quoted value must be one double-quoted string"},
		{config: "config = other\n", says: "config:1: --config can only be given on the command line"},
		{config: "[export]\nsession = \nformat = pdf\n", says: `unknown export format "pdf"`},
		{config: "max-body = lots\n", says: ""}, // not a flag of export: not applied, and no error
		{env: "-f", says: ""},
	} {
		args := []string{exportSample, "--config", writeConfig(t, c.config)}
		if c.env != "" {
			t.Setenv("MCPSCOPE_FORMAT", c.env)
		}
		status, _, errOut := runCLI("export", args...)
		if c.says == "" && c.env == "" {
			if status != 0 {
				t.Errorf("config %q: status %d: %s", c.config, status, errOut)
			}
			continue
		}
		if c.env != "" {
			c.says = `unknown export format "-f"`
		}
		if status == 0 || !strings.Contains(errOut, c.says) {
			t.Errorf("config %q, env %q: status %d, stderr %q; want it to say %q", c.config, c.env, status, errOut, c.says)
		}
		os.Unsetenv("MCPSCOPE_FORMAT")
	}
	t.Setenv("MCPSCOPE_OUTPUT", "") // set empty: unset, so stdout; not -o ""
	if status, out, errOut := runCLI("export", exportSample); status != 0 || exportKind(out) != "har" {
		t.Errorf("MCPSCOPE_OUTPUT set empty: status %d, %s, %s", status, exportKind(out), errOut)
	}
	t.Setenv("MCPSCOPE_MAX_BODY", "lots")
	if status, _, errOut := runCLI("demo", "--headless"); status != 2 || !strings.Contains(errOut, "environment variable MCPSCOPE_MAX_BODY: invalid argument \"lots\"") {
		t.Errorf("MCPSCOPE_MAX_BODY=lots: status %d, stderr %q", status, errOut)
	}
	if status, _, errOut := runCLI("export", exportSample, "--config", filepath.Join(t.TempDir(), "missing")); status != 2 || !strings.Contains(errOut, "config file: open") {
		t.Errorf("a missing --config file: status %d, stderr %q", status, errOut)
	}
}

// TestProxyFromSettings runs the proxy configured only by the environment
// (its upstream) and a config file (headless, where to listen, and a
// repeatable flag given twice in the [proxy] section, which replaces the
// top level's), and a go-sdk session through it.
func TestProxyFromSettings(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	t.Setenv("MCPSCOPE_UPSTREAM", up.URL)
	config := writeConfig(t, `listen = 127.0.0.1:0
headless = true
redact-path = params.arguments.c
[proxy]
redact-path = params.arguments.a
redact-path = params.arguments.b
`)
	addr, stdout := startCLI(t, "--config", config)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+addr+"/mcp", mcptest.ClientOptions{})
	cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi", "a": "secret-a", "b": "secret-b", "c": "plain-c"}})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "plain-c") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out := stdout.String()
	if !strings.Contains(out, "plain-c") {
		t.Fatalf("the headless printer never showed the tools/call; stdout:\n%s", out)
	}
	if strings.Contains(out, "secret-a") || strings.Contains(out, "secret-b") {
		t.Errorf("the config's two redact-path lines were not both applied; stdout:\n%s", out)
	}
}
