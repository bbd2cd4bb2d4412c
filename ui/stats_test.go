package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestStatsView: S shows the stats of the traffic seen (the fixture's
// tools/call answered in 42 ms), a call pending with a timer that grows
// with the clock and reads HUNG past 10 s, peer names made safe, every
// line within 80 columns; S again goes back to the traffic.
func TestStatsView(t *testing.T) {
	m, _ := newTestModel(t, 80, 30)
	now := time.Date(2026, 11, 26, 9, 0, 5, 0, time.UTC)
	m.stats.clock = func() time.Time { return now }
	m.Update(observationsMsg{{Seq: 100, Type: proxy.TypeMessage, Time: now.Add(-4 * time.Second), Session: "s-1", Exchange: "x9",
		Direction: proxy.ClientToServer, Kind: proxy.KindRequest, Method: "tools/call", ID: "9",
		Body: `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"stuck\u001b[2J"}}`}})
	press(m, "S")
	screen := m.View()
	text := plain(screen)
	for _, want := range []string{"Stats · 1 pending", "METHOD / TOOL", "tools/call", "42ms", "PENDING (1; hung after 10s)", "4.0s  tools/call:stuck", "CONTEXT COST"} {
		if !strings.Contains(text, want) {
			t.Errorf("stats view lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "HUNG") {
		t.Errorf("a call 4 s old shows as hung:\n%s", text)
	}
	if strings.Contains(ansi.Strip(screen), "\x1b") || strings.Contains(screen, "\x1b[2J") || strings.Contains(screen, "pwned\x07") {
		t.Errorf("a peer's control sequence reached the screen")
	}
	for i, line := range strings.Split(screen, "\n") {
		if w := lipgloss.Width(line); w > 80 {
			t.Errorf("line %d is %d columns wide: %q", i, w, ansi.Strip(line))
		}
	}

	now = now.Add(7 * time.Second) // the next tick redraws the timer
	m.Update(tickMsg(now))
	text = plain(m.View())
	if !strings.Contains(text, "HUNG    11.0s  tools/call:stuck") || !strings.Contains(text, "1 HUNG") {
		t.Errorf("after 7 more seconds the call should read HUNG at 11.0s:\n%s", text)
	}

	press(m, "S")
	if text := plain(m.View()); strings.Contains(text, "METHOD / TOOL") || !strings.Contains(text, "Traffic") {
		t.Errorf("S again should go back to the traffic:\n%s", text)
	}
}

// TestStatsViewOfARecording: browsing a recording (mcpscope open), a
// pending call's age is taken at the recording's last observation, not
// the wall clock; the movement keys scroll the view.
func TestStatsViewOfARecording(t *testing.T) {
	m := New(newFakeEngine(), Options{Info: Info{ReadOnly: true, Source: "r.jsonl"}, TickInterval: time.Hour})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 14})
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m.Update(observationsMsg{
		{Seq: 1, Type: proxy.TypeMessage, Time: at, Direction: proxy.ClientToServer, Kind: proxy.KindRequest, Method: "tools/call", ID: "1",
			Body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"stuck"}}`},
		{Seq: 2, Type: proxy.TypeMessage, Time: at.Add(12500 * time.Millisecond), Direction: proxy.ClientToServer, Kind: proxy.KindNotification,
			Method: "notifications/initialized", Body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`},
	})
	press(m, "S")
	text := plain(m.View())
	if !strings.Contains(text, "HUNG    12.5s  tools/call:stuck") || !strings.Contains(text, "esc back") {
		t.Errorf("the pending call should read HUNG at 12.5s, the recording's end:\n%s", text)
	}
	press(m, "j", "j", "j")
	if scrolled := plain(m.View()); scrolled == text || strings.Contains(scrolled, "METHOD / TOOL") {
		t.Errorf("j should scroll the stats view:\n%s", scrolled)
	}
	press(m, "g")
	if !strings.Contains(plain(m.View()), "METHOD / TOOL") {
		t.Errorf("g should go back to the top")
	}
}
