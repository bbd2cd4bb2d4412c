package main

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestShortClientRunsExportAsTheirSessions: three go-sdk clients each
// connect through a recording mcpscope, call a tool and close. The
// Markdown export counts 3 sessions, all closed, each holding its own
// initialize; the sessionless traffic (the server/discover probe before
// initialize) is headed and counted apart, per client connection, not as
// sessions.
func TestShortClientRunsExportAsTheirSessions(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	rec := filepath.Join(t.TempDir(), "rec.jsonl")
	found, stdout, stop := startCLIStoppable(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--record", rec}, `listening on http://(\S+)`)
	var ids []string
	for range 3 {
		tr := &http.Transport{}
		cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+found[0]+"/mcp", mcptest.ClientOptions{HTTPClient: &http.Client{Transport: tr}})
		if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cs.ID())
		cs.Close()
		tr.CloseIdleConnections()
	}
	for deadline := time.Now().Add(10 * time.Second); strings.Count(stdout.String(), "sessionless traffic ended") < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) { // the server notices the closed connections
			t.Fatalf("the ends of the clients' connections were not said:\n%.3000s", stdout.String())
		}
	}
	stop()
	status, md, errOut := runCLI("export", rec, "--format", "markdown")
	if status != 0 {
		t.Fatalf("export: %d %s", status, errOut)
	}
	header := regexp.MustCompile(`(?m)^- \d+ observations .*$`).FindString(md)
	if !strings.Contains(header, "3 sessions (3 closed), sessionless traffic on ") {
		t.Errorf("the transcript's counts: %q; want 3 sessions (3 closed) and the sessionless traffic apart", header)
	}
	if strings.Contains(md, "## Session `conn-") {
		t.Errorf("a client connection is headed as a session:\n%.3000s", md)
	}
	for _, id := range ids {
		i := strings.Index(md, "## Session `"+id+"`")
		if i < 0 {
			t.Fatalf("no section for session %s", id)
		}
		section := md[i:]
		if j := strings.Index(section[3:], "\n## "); j >= 0 {
			section = section[:j+3]
		}
		for _, want := range []string{"→ **request** `initialize`", "new session `" + id + "`", "session: `closed`"} {
			if !strings.Contains(section, want) {
				t.Errorf("session %s's section lacks %q:\n%s", id, want, section)
			}
		}
	}
	if !strings.Contains(md, "## Sessionless traffic · client connection `conn-") || !strings.Contains(md, "session: `sessionless traffic ended: client connection closed`") {
		t.Errorf("the sessionless traffic is not headed as such, or its end not said:\n%.4000s", md)
	}
}
