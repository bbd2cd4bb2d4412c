package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/linkrec"
)

// TestOpenStdioRecording: browsing a recording of a stdio session (made
// through a real Link), the session is listed as stdio and named after its
// command, with its requests counted; its messages are rows with their
// direction and method; the export key writes a Markdown transcript (HAR
// has no place for stdio).
func TestOpenStdioRecording(t *testing.T) {
	obs := linkrec.Record(t, "node server.js", "2025-11-25", func(ctx context.Context, cs *mcp.ClientSession) { linkrec.Script(t, ctx, cs) })
	dir := t.TempDir()
	m := New(NewRecordingEngine(obs), Options{Info: Info{ReadOnly: true, Source: "stdio.jsonl"}, TickInterval: time.Hour, ExportDir: dir})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	m.Update(observationsMsg(obs))
	sessions := m.engine.Sessions()
	if len(sessions) != 1 || sessions[0].Transport != "stdio" || sessions[0].Name != "node server.js" || sessions[0].Requests != 5 {
		t.Fatalf("sessions of the recording: %+v; want one stdio session named node server.js with 5 requests", sessions)
	}
	view := plain(m.View())
	for _, want := range []string{"stdio-1  5 requests  stdio node server.js", "→ tools/list", "← result tools/call", "← notifications/progress", "← sampling/createMessage"} {
		if !strings.Contains(view, want) {
			t.Errorf("the screen lacks %q:\n%s", want, view)
		}
	}
	press(m, "E")
	matches, _ := filepath.Glob(filepath.Join(dir, "mcpscope-stdio-1-*.md"))
	if len(matches) != 1 {
		t.Fatalf("E wrote %v; status: %s", matches, m.notice)
	}
	data, _ := os.ReadFile(matches[0])
	if !strings.Contains(string(data), "## Session `stdio-1` · stdio `node server.js`") {
		t.Errorf("the export is not the stdio session's transcript: %.300s", data)
	}
}
