package ui

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/proxy"
)

// The command line a shell reads back is the request: each word as meant
// (quotes, $, backquotes and newlines in the body kept literally), the
// credentials of secret headers and query parameters left to variables.
func TestCurlCommandQuotesForTheShell(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to read the command back")
	}
	h := &proxy.HTTPExchange{Method: "POST", URL: "http://127.0.0.1:9/mcp?api_key=abc&x=1", RequestHeaders: map[string][]string{
		"Authorization": {"Bearer secret-one"}, "X-Api-Key": {"secret-two"}, "Mcp-Session-Id": {"S1"}, "Content-Length": {"9"},
	}}
	body := "{\"a\":\"it's $HOME `id` \\\"q\\\"\"}\n"
	cmd, vars := CurlCommand(h, body, "")
	for _, secret := range []string{"secret-one", "secret-two", "abc"} {
		if strings.Contains(cmd, secret) {
			t.Errorf("the command holds %q:\n%s", secret, cmd)
		}
	}
	if strings.Join(vars, ",") != "API_KEY,TOKEN,X_API_KEY" {
		t.Errorf("variables %v", vars)
	}
	echo := exec.Command("sh", "-c", "printf '%s\\n--\\n'"+strings.TrimPrefix(cmd, "curl"))
	echo.Env = append(os.Environ(), "TOKEN=T", "X_API_KEY=K", "API_KEY=A")
	out, err := echo.Output()
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Split(strings.TrimSuffix(string(out), "\n--\n"), "\n--\n")
	want := []string{"-sS", "-N", "-X", "POST", "http://127.0.0.1:9/mcp?api_key=A&x=1",
		"-H", "Authorization: Bearer T", "-H", "Mcp-Session-Id: S1", "-H", "X-Api-Key: K", "--data-raw", body}
	if strings.Join(words, "|") != strings.Join(want, "|") {
		t.Errorf("the shell reads\n%q\nwant\n%q", words, want)
	}
	if !shellUnsafe("a\x1bb") || shellUnsafe("a\tb\n") {
		t.Error("shellUnsafe")
	}
}
