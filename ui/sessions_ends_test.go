package ui

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/muesli/termenv"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// TestShortClientRunsEndVisibly runs the UI in a teatest program over a
// real proxy: three go-sdk clients each connect, call a tool and close.
// Each session's row stays, dimmed and marked closed (deleted by the
// client); the sessionless traffic before each initialize (server/discover)
// is a row of its client connection, marked sessionless, closed with the
// connection; no row is an initialize's connection alone. The title counts
// 3 closed sessions apart from the sessionless rows, and c hides the
// closed rows, then shows them again.
func TestShortClientRunsEndVisibly(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	u, _ := url.Parse(up.URL)
	p := proxy.New(u)
	tr := proxy.NewTransport(0)
	p.Transport = tr
	sub := p.Bus.Subscribe(1 << 16)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := p.NewServer()
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
		p.Bus.Close()
	})

	m := New(p, Options{TickInterval: 50 * time.Millisecond})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 48))
	ctx, stop := context.WithCancel(t.Context())
	fed := make(chan struct{})
	go func() { defer close(fed); bridge(ctx, sub, tm.Send) }()
	t.Cleanup(func() { stop(); <-fed })

	var ids []string
	for range 3 {
		ctr := &http.Transport{}
		cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+ln.Addr().String()+"/mcp", mcptest.ClientOptions{HTTPClient: &http.Client{Transport: ctr}})
		if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cs.ID())
		cs.Close()
		ctr.CloseIdleConnections()
	}
	var screen string
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		screen = plain(string(b))
		return strings.Contains(screen, "Sessions 0 live · 3 closed · 3 sessionless")
	}, teatest.WithDuration(10*time.Second))

	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("c")})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return strings.Contains(plain(string(b)), "6 closed hidden (c shows)")
	}, teatest.WithDuration(5*time.Second))
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("c")})
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	view := plain(final.View())
	closedAs := map[string]string{}
	sessionless := 0
	for _, it := range final.sessions.items {
		if it.stream != nil || it.state != sessionClosed {
			t.Errorf("a row is not a closed session: %+v", it)
			continue
		}
		closedAs[it.session.ID] = it.end.how
		if proxy.IsSessionless(it.session.ID) && it.end.how == "connection closed" {
			sessionless++
			if !strings.Contains(view, "✕ "+it.session.ID+" sessionless") {
				t.Errorf("the row of %s is not drawn closed and sessionless:\n%s", it.session.ID, view)
			}
		}
	}
	for _, id := range ids {
		if closedAs[id] != "deleted by the client" {
			t.Errorf("session %s: closed %q, want it closed, deleted by the client (rows %v)", id, closedAs[id], closedAs)
		}
	}
	if sessionless != 3 {
		t.Errorf("%d closed sessionless rows, want one per client (its server/discover): %v", sessionless, closedAs)
	}
	if final.sessions.hideClosed || final.sessions.closedRows != 6 {
		t.Errorf("after c twice: hidden %v, %d closed rows; want them shown, 6", final.sessions.hideClosed, final.sessions.closedRows)
	}
}

// TestIdleSessionIsMarked: a session with no open stream, no pause and no
// request for over idleAfter is dimmed and marked idle, and counted apart;
// one with an open stream is not, however long ago its last request.
func TestIdleSessionIsMarked(t *testing.T) {
	eng := newFakeEngine()
	old := time.Now().Add(-3 * time.Minute)
	eng.sess = append(eng.sess, proxy.SessionInfo{ID: "s-quiet", FirstSeen: old, LastSeen: old, Requests: 2})
	eng.sess[0].LastSeen = old // s-1 has open streams: live
	m := New(eng, Options{TickInterval: time.Hour})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	view := plain(m.View())
	if !strings.Contains(view, "Sessions 1 live · 1 idle") || !strings.Contains(view, "s-quiet  2 requests  idle 3m") {
		t.Errorf("the quiet session is not marked idle:\n%s", view)
	}
	if strings.Contains(view, "s-1 ↔ up-7f3a  2 streams  2025-11-25  idle") {
		t.Errorf("a session with open streams is marked idle:\n%s", view)
	}
}

// TestSessionEndsAreNamed: each way a session ends reads short in its row,
// and a lost session the proxy re-initialized later is live again.
func TestSessionEndsAreNamed(t *testing.T) {
	for reason, want := range map[string]string{
		"closed":               "deleted by the client",
		proxy.SessionlessEnded: "connection closed",
		"stdio session ended: server exited with status 1":                                                       "server exited with status 1",
		"expired (idle longer than the store keeps sessions): answered 404 (the client should initialize again)": "expired (idle longer than the store keeps sessions)",
		"lost by the upstream (404) and not re-initialized: boom":                                                "lost by the upstream",
	} {
		if got := endHow(reason); got != want {
			t.Errorf("endHow(%q) = %q, want %q", reason, got, want)
		}
	}
	eng := newFakeEngine()
	m := New(eng, Options{TickInterval: time.Hour})
	m.Init()
	at := time.Now()
	m.Update(observationsMsg{{Seq: 1, Time: at, Type: proxy.TypeSession, Session: "s-1", Reason: "lost by the upstream (404) and not re-initialized: boom"}})
	if it, _ := m.sessions.selected(); it.state != sessionClosed {
		t.Fatalf("s-1 after its loss: %+v, want it closed", it)
	}
	m.Update(observationsMsg{{Seq: 2, Time: at, Type: proxy.TypeSession, Session: "s-1", Reason: "re-initialized on 127.0.0.1:3001: the upstream had lost session x"}})
	if it, _ := m.sessions.selected(); it.state != sessionLive {
		t.Errorf("s-1 re-initialized: %+v, want it live again", it)
	}
}

// TestRecordingCountsInitializeForItsSession: browsing a recording, the
// initialize exchange (scoped to its client connection) counts for the
// session it created: no row for the connection, and the session's row
// shows closed once its end is read.
func TestRecordingCountsInitializeForItsSession(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	obs := []*proxy.Observation{
		{Seq: 1, Time: at, Type: proxy.TypeMessage, Session: "conn-1", Exchange: "ex-1", Direction: proxy.ClientToServer, Kind: proxy.KindRequest, Method: "initialize", ID: "1"},
		{Seq: 2, Time: at, Type: proxy.TypeSession, Session: "S1", Reason: "created"},
		{Seq: 3, Time: at, Type: proxy.TypeHTTP, Session: "conn-1", Exchange: "ex-1", HTTP: &proxy.HTTPExchange{Method: "POST", Status: 200, NewSession: "S1"}},
		{Seq: 4, Time: at, Type: proxy.TypeHTTP, Session: "S1", Exchange: "ex-2", HTTP: &proxy.HTTPExchange{Method: "DELETE", Status: 204}},
		{Seq: 5, Time: at, Type: proxy.TypeSession, Session: "S1", Reason: "closed"},
	}
	eng := NewRecordingEngine(obs)
	sessions := eng.Sessions()
	if len(sessions) != 1 || sessions[0].ID != "S1" || sessions[0].Requests != 2 {
		t.Fatalf("sessions of the recording: %+v; want S1 alone, with its initialize and DELETE", sessions)
	}
	m := New(eng, Options{Info: Info{ReadOnly: true, Source: "r.jsonl"}, TickInterval: time.Hour})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	m.Update(observationsMsg(obs))
	if it, _ := m.sessions.selected(); it.session.ID != "S1" || it.state != sessionClosed || m.sessions.title() != "Sessions 0 live · 1 closed" {
		t.Errorf("S1's row: %+v, title %q; want it closed", it, m.sessions.title())
	}
}
