package record

import "testing"

// TestCommandLineRedactsCredentials: a stdio server's command line names
// its session in the UI, headless output and recordings; credentials
// passed on it are redacted as headers are.
func TestCommandLineRedactsCredentials(t *testing.T) {
	r := NewRedactor(nil)
	cases := []struct {
		argv []string
		want string
	}{
		{[]string{"node", "server.js"}, "node server.js"},
		{[]string{"npx", "-y", "@x/server", "--api-key", "sk-123", "--port", "3"}, "npx -y @x/server --api-key [redacted] --port 3"},
		{[]string{"server", "--token=abc", "--verbose"}, "server --token=[redacted] --verbose"},
		{[]string{"env", "GITHUB_TOKEN=ghp_x", "server"}, "env GITHUB_TOKEN=[redacted] server"},
		{[]string{"server", "https://user:pw@example.com/mcp?key=v&x=1"}, "server https://user:[redacted]@example.com/mcp?key=[redacted]&x=1"},
		{[]string{"python", "-c", "print('hi there')"}, `python -c "print('hi there')"`},
	}
	for _, c := range cases {
		if got := r.CommandLine(c.argv); got != c.want {
			t.Errorf("CommandLine(%q) = %s, want %s", c.argv, got, c.want)
		}
	}
	if got := (*Redactor)(nil).CommandLine([]string{"server", "--token", "abc"}); got != "server --token abc" {
		t.Errorf("an inactive redactor changed the command line: %s", got)
	}
}
