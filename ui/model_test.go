package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mcpscope/mcpscope/internal/plural"
	"github.com/mcpscope/mcpscope/proxy"
)

// newTestModel is a model over the fake engine with the fixed traffic in
// it, sized w×h.
func newTestModel(t *testing.T, w, h int) (*Model, *fakeEngine) {
	t.Helper()
	eng := newFakeEngine()
	m := New(eng, Options{Info: Info{Listen: "127.0.0.1:7331", Upstream: "http://127.0.0.1:3001/mcp"}, TickInterval: time.Hour})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(observationsMsg(traffic()))
	return m, eng
}

func press(m *Model, keys ...string) {
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "tab":
			msg = tea.KeyMsg{Type: tea.KeyTab}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		m.Update(msg)
	}
}

func selectedSeq(m *Model) uint64 {
	if r, ok := m.traffic.selected(); ok {
		return r.obs.Seq
	}
	return 0
}

func TestKeysReachTheEngine(t *testing.T) {
	m, eng := newTestModel(t, 120, 40)
	press(m, "k", "k") // the second progress event, on st-2
	press(m, "p", "s", "p", "P", "P", "A", "A")
	want := []string{
		"pause stream st-2 by tui", "step stream st-2 by tui", "resume stream st-2 by tui",
		"pause session s-1 by tui", "resume session s-1 by tui", "pause all by tui", "resume all by tui",
	}
	if got := eng.Calls(); !slices.Equal(got, want) {
		t.Errorf("engine calls:\n got %q\nwant %q", got, want)
	}
	// From the sessions pane the keys act on the stream under its cursor.
	press(m, "tab", "j", "p")
	if got := eng.Calls(); got[len(got)-1] != "pause stream st-1 by tui" {
		t.Errorf("p in the sessions pane on st-1 called %q", got[len(got)-1])
	}
	if !strings.Contains(plain(m.View()), "⏸") {
		t.Error("the paused stream is not marked on screen")
	}
}

func TestFilterNarrowsTheList(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	all := len(m.traffic.visible)
	press(m, "/", "p", "r", "o", "g")
	if n := len(m.traffic.visible); n != 4 {
		t.Errorf("filter 'prog' shows %d rows, want the 3 progress events and the call of the progress tool (of %d)", n, all)
	}
	press(m, "enter")
	if m.filtering || m.traffic.filterText() != "prog" {
		t.Errorf("enter should keep the filter and leave typing mode")
	}
	m.Update(observationsMsg{{Seq: 99, Type: proxy.TypeMessage, Method: "tools/list", Kind: proxy.KindRequest}})
	if n := len(m.traffic.visible); n != 4 {
		t.Errorf("a new non-matching row shows under the filter (%d rows)", n)
	}
	if !strings.Contains(plain(m.View()), "Traffic — filter: prog (4 of") {
		t.Error("the active filter is not shown in the list's title")
	}
	press(m, "/", "esc")
	if n := len(m.traffic.visible); n != all+1 {
		t.Errorf("esc leaves %d rows, want all %d", n, all+1)
	}
}

// TestFilterLanguageInTheList checks that / takes the filter language, and
// that an expression being typed that does not parse keeps the last good
// one and says why.
func TestFilterLanguageInTheList(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	typeFilter := func(expr string) {
		press(m, "/")
		m.filter.SetValue("")
		for _, r := range expr {
			press(m, string(r))
		}
	}
	typeFilter("dir:server and not kind:notification")
	if n := len(m.traffic.visible); n != 1 || selectedSeq(m) != 5 {
		t.Errorf("dir:server and not kind:notification shows %d rows, want the result", n)
	}
	press(m, "enter")
	typeFilter("params.arguments.count>2 tool:progress")
	if n := len(m.traffic.visible); n != 1 || selectedSeq(m) != 1 {
		t.Errorf("a JSON path and tool filter shows %d rows (selected %d), want the request", n, selectedSeq(m))
	}
	typeFilter("status>")
	if m.filterErr == "" || !strings.Contains(plain(m.View()), "needs a value") {
		t.Errorf("an unfinished expression shows no error")
	}
	if got := m.traffic.filterText(); got != "status" {
		t.Errorf("filter in force = %q, want the last expression that parsed", got)
	}
}

func TestSelectionAndFollow(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	last := traffic()[len(traffic())-1].Seq
	if !m.traffic.follow || selectedSeq(m) != last {
		t.Fatalf("follow mode should start on and select the newest row")
	}
	press(m, "k")
	held := selectedSeq(m)
	m.Update(observationsMsg{{Seq: 100, Type: proxy.TypeMessage, Method: "ping", Kind: proxy.KindRequest}})
	if m.traffic.follow || selectedSeq(m) != held {
		t.Errorf("moving up should leave follow mode and keep the selection (got %d, want %d)", selectedSeq(m), held)
	}
	press(m, "G")
	if !m.traffic.follow || selectedSeq(m) != 100 {
		t.Errorf("G should select the newest row and follow")
	}
	m.Update(observationsMsg{{Seq: 101, Type: proxy.TypeMessage, Method: "ping", Kind: proxy.KindRequest}})
	if selectedSeq(m) != 101 {
		t.Errorf("following, the newest row should be selected")
	}
	press(m, "g")
	if selectedSeq(m) != 1 || m.traffic.follow {
		t.Errorf("g should select the oldest row and stop following")
	}
	press(m, "f")
	if !m.traffic.follow || selectedSeq(m) != 101 {
		t.Errorf("f should resume following")
	}
}

func TestJumpBetweenRequestAndResponse(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	press(m, "k") // the result (seq 5), answering seq 1
	if selectedSeq(m) != 5 {
		t.Fatalf("selected %d, want the result", selectedSeq(m))
	}
	press(m, "o")
	if selectedSeq(m) != 1 {
		t.Errorf("o on a result selected %d, want its request 1", selectedSeq(m))
	}
	press(m, "o")
	if selectedSeq(m) != 5 {
		t.Errorf("o on a request selected %d, want its result 5", selectedSeq(m))
	}
}

func TestHostileTextIsNeutralised(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	view := m.View()
	for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J"} {
		if strings.Contains(view, bad) {
			t.Errorf("the screen carries %q from the network", bad)
		}
	}
	if !strings.Contains(plain(view), "evil") {
		t.Error("the hostile row is not shown at all")
	}
}

func TestRingBufferBoundsRows(t *testing.T) {
	eng := newFakeEngine()
	m := New(eng, Options{MaxRows: 5, TickInterval: time.Hour})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	for i := 1; i <= 50; i++ {
		m.Update(observationsMsg{{Seq: uint64(i), Type: proxy.TypeMessage, Method: "ping", Kind: proxy.KindRequest}})
	}
	if m.traffic.ring.n != 5 || len(m.traffic.visible) != 5 || selectedSeq(m) != 50 {
		t.Errorf("ring holds %d rows, %d visible, selected %d; want 5, 5, 50", m.traffic.ring.n, len(m.traffic.visible), selectedSeq(m))
	}
	press(m, "g")
	if selectedSeq(m) != 46 {
		t.Errorf("oldest kept row is %d, want 46", selectedSeq(m))
	}
	if len(m.traffic.bySeq) > 2*5+1024 {
		t.Errorf("index kept %d entries", len(m.traffic.bySeq))
	}
}

func TestQuitAndHelp(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	press(m, "?")
	if !strings.Contains(plain(m.View()), "newest + follow") {
		t.Error("? does not show the full key map")
	}
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	if cmd == nil || cmd() != tea.Quit() {
		t.Error("q does not quit")
	}
}

func TestBreakpointsPane(t *testing.T) {
	m, eng := newTestModel(t, 120, 40)
	eng.held = []proxy.HeldInfo{
		{ID: "h-1", Rule: "hold echo", Since: time.Now(), Direction: proxy.ClientToServer, Method: "tools/call", MessageID: "3", Message: `{"id":3}`},
		{ID: "h-2", Rule: "hold echo", Since: time.Now(), Direction: proxy.ClientToServer, Method: "tools/call", MessageID: "4", Message: `{"id":4}`},
		{ID: "h-3", Rule: "hold echo", Since: time.Now(), Direction: proxy.ServerToClient, Method: "tools/call", MessageID: "5", Message: `{"id":5}`},
	}
	m.Update(observationsMsg{{Seq: 50, Type: proxy.TypeMessage, Method: "tools/call", Kind: proxy.KindRequest,
		Decision: &proxy.Decision{Rules: []string{"hold echo"}, Action: "breakpoint", Note: "held at breakpoint h-1"}}})
	view := plain(m.View())
	if !strings.Contains(view, "Breakpoints: 3 held") || !strings.Contains(view, "● 3 held") || !strings.Contains(view, "⚑breakpoint") {
		t.Fatalf("held messages are not shown:\n%s", view)
	}
	press(m, "tab", "tab") // traffic → sessions → breakpoints
	if m.focus != focusHeld {
		t.Fatalf("tab did not reach the breakpoints pane")
	}
	press(m, "enter", "d", "x")
	want := []string{"resume held  by tui h-1", "drop held by tui h-2", "fail held by tui h-3"}
	if got := eng.Calls(); !slices.Equal(got, want) {
		t.Errorf("engine calls %q, want %q", got, want)
	}
	if m.focus != focusTraffic || strings.Contains(plain(m.View()), "Breakpoints:") {
		t.Errorf("with nothing held the pane should go and focus return to the traffic list")
	}
}

func TestDecisionInDetail(t *testing.T) {
	m, _ := newTestModel(t, 120, 60)
	m.Update(observationsMsg{{Seq: 60, Type: proxy.TypeSSEEvent, Method: "notifications/progress", Kind: proxy.KindNotification,
		Direction: proxy.ServerToClient, Body: `{"params":{"message":"after"}}`,
		Decision: &proxy.Decision{Rules: []string{"mark", "rewrite"}, Action: "modify", Before: `{"params":{"message":"before"}}`, After: `{"params":{"message":"after"}}`}}})
	view := plain(m.View())
	for _, want := range []string{"⚑modify", "rule mark → rewrite: modify", "── before ──", `"message": "before"`, "── after ──", `"message": "after"`} {
		if !strings.Contains(view, want) {
			t.Errorf("the screen lacks %q", want)
		}
	}
}

func TestHeldEventIsMarked(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	m.Update(observationsMsg{{Seq: 70, Type: proxy.TypeGate, Stream: "st-2", Gate: &proxy.GateChange{Action: "held", Scope: "stream"}}})
	if !strings.Contains(plain(m.View()), "⏸held") {
		t.Fatalf("the event waiting at the gate is not marked")
	}
	m.Update(observationsMsg{{Seq: 71, Type: proxy.TypeGate, Stream: "st-2", Gate: &proxy.GateChange{Action: "released", Scope: "stream"}}})
	if strings.Contains(plain(m.View()), "⏸held") {
		t.Errorf("the mark stays after the release")
	}
}

// TestRecordingStatusBar: browsing a recording (mcpscope open), the status
// bar names the file and counts the rows shown, instead of a live proxy's
// streams, rate, addresses and recording state, which a recording has not.
func TestRecordingStatusBar(t *testing.T) {
	obs := traffic()
	m := New(NewRecordingEngine(obs), Options{Info: Info{ReadOnly: true, Source: "session.jsonl"}, TickInterval: time.Hour})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 40})
	m.Update(observationsMsg(obs))
	bar := m.statusBar()
	rows := len(m.traffic.visible)
	if rows == 0 || !strings.Contains(bar, "recording session.jsonl") || !strings.Contains(bar, plural.Count(rows, "row")) {
		t.Errorf("status bar %q; want the recording's name and its %d rows", bar, rows)
	}
	for _, live := range []string{"ev/s", "rec off", "→", "stream"} {
		if strings.Contains(bar, live) {
			t.Errorf("status bar %q shows %q, which a recording has not", bar, live)
		}
	}
	press(m, "/")
	for _, r := range "method:tools/call" {
		press(m, string(r))
	}
	press(m, "enter")
	if bar := m.statusBar(); !strings.Contains(bar, plural.Count(len(m.traffic.visible), "row")) || len(m.traffic.visible) == 0 || len(m.traffic.visible) >= rows {
		t.Errorf("filtered, the status bar says %q with %d of %d rows shown", bar, len(m.traffic.visible), rows)
	}
}

// TestSessionLineSaysWhatItDid: a session with open streams counts them; one
// without (ended, or browsed in a recording) counts its requests rather
// than saying "0 streams".
func TestSessionLineSaysWhatItDid(t *testing.T) {
	open := sessionItem{session: proxy.SessionInfo{ID: "s-1", Streams: 2, Requests: 9}}.line(60)
	quiet := sessionItem{session: proxy.SessionInfo{ID: "s-2", Requests: 1}}.line(60)
	if !strings.Contains(open, "2 streams") || strings.Contains(open, "request") {
		t.Errorf("session with open streams: %q", open)
	}
	if !strings.Contains(quiet, "1 request") || strings.Contains(quiet, "stream") {
		t.Errorf("session without open streams: %q", quiet)
	}
}

// TestRateMeterSmooths: events every 200 ms read as 5/s at every 500 ms
// tick (one tick's count alone reads 4 or 6, or 0 in a gap), and the rate
// falls to 0 once a few ticks pass without events.
func TestRateMeterSmooths(t *testing.T) {
	var r rateMeter
	for _, n := range []int{2, 3, 2, 3} {
		r.add(n, 500*time.Millisecond)
	}
	if got := r.perSecond(); got != 5 {
		t.Errorf("rate %v, want 5", got)
	}
	for range 4 {
		r.add(0, 500*time.Millisecond)
	}
	if got := r.perSecond(); got != 0 {
		t.Errorf("after 2 s without events: rate %v, want 0", got)
	}
	var fresh rateMeter
	if got := fresh.perSecond(); got != 0 {
		t.Errorf("no ticks yet: rate %v", got)
	}
}

// TestUpstreamBreakIsARow checks that a stream the upstream broke off, and
// a JSON answer it broke off, show in the traffic list (a stream's clean
// end does not).
func TestUpstreamBreakIsARow(t *testing.T) {
	m, _ := newTestModel(t, 160, 40)
	all := len(m.traffic.visible)
	m.Update(observationsMsg{
		{Seq: 90, Type: proxy.TypeStreamClosed, Stream: "st-1", Reason: "upstream ended the stream"},
		{Seq: 91, Type: proxy.TypeStreamClosed, Stream: "st-2", Reason: "upstream broke: unexpected EOF", Flags: []string{proxy.FlagUpstreamBroke}},
		{Seq: 92, Type: proxy.TypeNotice, Reason: "upstream broke off its answer to ex-4 after 9 bytes: unexpected EOF", Flags: []string{proxy.FlagUpstreamBroke}},
	})
	if n := len(m.traffic.visible); n != all+2 {
		t.Errorf("%d new rows, want 2 (the broken stream and the broken answer)", n-all)
	}
	if screen := plain(m.View()); !strings.Contains(screen, "upstream broke: unexpected EOF") {
		t.Errorf("the broken stream is not on screen:\n%s", screen)
	}
}

// TestSessionObservationsSaid: a created session is not worth a notice,
// unless its initialize was too large to keep; other session changes are
// said as they come.
func TestSessionObservationsSaid(t *testing.T) {
	m, _ := newTestModel(t, 120, 30)
	m.notice = ""
	m.Update(observationsMsg{{Type: proxy.TypeSession, Session: "s-plain", Reason: "created"}})
	if m.notice != "" {
		t.Errorf("a plain created session said %q", m.notice)
	}
	m.Update(observationsMsg{{Type: proxy.TypeSession, Session: "s-large", Reason: "created", Flags: []string{proxy.FlagInitializeNotKept}, Size: 20 << 20}})
	if !strings.Contains(m.notice, "cannot be re-initialized") || !strings.Contains(m.notice, "20971520 bytes") {
		t.Errorf("a session whose initialize was not kept said %q", m.notice)
	}
	m.Update(observationsMsg{{Type: proxy.TypeSession, Session: "s-plain", Reason: "closed"}})
	if !strings.Contains(m.notice, "closed") {
		t.Errorf("a closed session said %q", m.notice)
	}
}
