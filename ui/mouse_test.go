package ui

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/mcpscope/mcpscope/proxy"
)

// cellOf returns the cell (column, line) where text is first drawn on the
// model's screen below line from, or fails the test.
func cellOf(t *testing.T, m *Model, text string, from int) (x, y int) {
	t.Helper()
	for y, line := range strings.Split(ansi.Strip(m.View()), "\n") {
		if i := strings.Index(line, text); i >= 0 && y >= from {
			return ansi.StringWidth(line[:i]), y
		}
	}
	t.Fatalf("%q is not on the screen:\n%s", text, ansi.Strip(m.View()))
	return 0, 0
}

func click(x, y int) tea.MouseMsg {
	return tea.MouseMsg{X: x, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress}
}

func wheel(x, y int, down bool) tea.MouseMsg {
	b := tea.MouseButtonWheelUp
	if down {
		b = tea.MouseButtonWheelDown
	}
	return tea.MouseMsg{X: x, Y: y, Button: b, Action: tea.MouseActionPress}
}

// TestClickSelectsRow: in a teatest program, at both layouts (stacked at
// 80×24, side by side at 160×48), a click on a row of the traffic list
// selects that row (following stops) and the detail pane shows it.
func TestClickSelectsRow(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m := New(newFakeEngine(), Options{TickInterval: time.Hour})
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(size[0], size[1]))
			tm.Send(observationsMsg(traffic()))
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "evil") },
				teatest.WithDuration(5*time.Second))
			// The row of the tools/call request: the first row, not the selected (newest) one.
			_, top := cellOf(t, m, "┌─ Traffic", 0)
			x, y := cellOf(t, m, "→ tools/call", top)
			tm.Send(click(x+2, y))
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
			r, ok := final.traffic.selected()
			if !ok || r.obs.Seq != 1 || final.traffic.follow || final.focus != focusTraffic {
				t.Fatalf("after a click on the request's row: selected %+v (follow %v, focus %v), want seq 1", r, final.traffic.follow, final.focus)
			}
			if !strings.Contains(plain(final.View()), "kind request · direction client to server") {
				t.Errorf("the detail pane does not show the clicked request:\n%s", plain(final.View()))
			}
		})
	}
}

// TestClickFocusesPanes: a click on a session focuses the sessions pane
// with that line under the cursor, on a held message the breakpoints pane
// with it selected, and on the detail pane the detail, whose movement keys
// then scroll it; a click on nothing in particular changes nothing.
func TestClickFocusesPanes(t *testing.T) {
	eng := newFakeEngine()
	eng.held = []proxy.HeldInfo{{ID: "h1", Rule: "hold-a", Method: "tools/call", Since: time.Now()}, {ID: "h2", Rule: "hold-b", Method: "ping", Since: time.Now()}}
	m := New(eng, Options{TickInterval: time.Hour})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 30})
	m.Update(observationsMsg(traffic()))
	press(m, "g") // the request: a detail longer than its pane

	x, y := cellOf(t, m, "st-1", 0) // a stream line under its session
	m.Update(click(x, y))
	if it, ok := m.sessions.selected(); m.focus != focusSessions || !ok || it.key() != "stream st-1" {
		t.Fatalf("after a click on st-1: focus %v, cursor on %+v", m.focus, it)
	}

	x, y = cellOf(t, m, "h2 ", 0)
	m.Update(click(x, y))
	if it, ok := m.held.selected(); m.focus != focusHeld || !ok || it.ID != "h2" {
		t.Fatalf("after a click on h2: focus %v, selected %+v", m.focus, it)
	}

	x, y = cellOf(t, m, "┌─ Detail", 0)
	m.Update(click(x+5, y+3))
	if m.focus != focusDetail || !strings.Contains(plain(m.View()), "Detail · ↑↓ scroll") {
		t.Fatalf("after a click on the detail pane: focus %v", m.focus)
	}
	sel := m.traffic.sel
	press(m, "j", "j")
	if m.detail.scroll != 2 || m.traffic.sel != sel {
		t.Errorf("j with the detail focused: detail scrolled %d, selection %d → %d; want the detail scrolled by 2, the selection kept", m.detail.scroll, sel, m.traffic.sel)
	}

	x, y = cellOf(t, m, "mcpscope", 0) // the status bar
	m.Update(click(x, y))
	if m.focus != focusDetail {
		t.Errorf("a click on the status bar moved the focus to %v", m.focus)
	}
}

// TestWheelScrollsPaneUnderPointer: the wheel over the detail pane scrolls
// it, over the traffic list moves the selection; the focus stays where it
// was.
func TestWheelScrollsPaneUnderPointer(t *testing.T) {
	m := New(newFakeEngine(), Options{TickInterval: time.Hour})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(observationsMsg(traffic()))
	press(m, "k") // the result: a detail longer than its pane
	before := m.traffic.sel
	x, y := cellOf(t, m, "┌─ Detail", 0)
	m.Update(wheel(x+5, y+2, true))
	m.Update(wheel(x+5, y+2, true))
	if m.detail.scroll != 2*wheelStep || m.traffic.sel != before || m.focus != focusTraffic {
		t.Fatalf("two notches down over the detail: scroll %d, selection %d (was %d), focus %v", m.detail.scroll, m.traffic.sel, before, m.focus)
	}
	m.Update(wheel(x+5, y+2, false))
	if m.detail.scroll != wheelStep {
		t.Fatalf("a notch up over the detail: scroll %d, want %d", m.detail.scroll, wheelStep)
	}

	x, y = cellOf(t, m, "┌─ Traffic", 0)
	m.Update(wheel(x+5, y+2, false))
	if r, _ := m.traffic.selected(); m.traffic.sel != before-wheelStep || m.traffic.follow || m.focus != focusTraffic {
		t.Fatalf("a notch up over the traffic list: selected seq %d, follow %v; want %d rows up", r.obs.Seq, m.traffic.follow, wheelStep)
	}
}

// TestMouseLeavesOverlaysAlone: with the help shown, a click does nothing.
func TestMouseLeavesOverlaysAlone(t *testing.T) {
	m := New(newFakeEngine(), Options{TickInterval: time.Hour})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	m.Update(observationsMsg(traffic()))
	_, top := cellOf(t, m, "┌─ Traffic", 0)
	x, y := cellOf(t, m, "→ tools/call", top)
	press(m, "?")
	m.Update(click(x+2, y))
	if r, _ := m.traffic.selected(); r.obs.Seq == 1 {
		t.Error("a click under the help selected a row")
	}
}

// TestMouseModeIsAskedUnlessNoMouse: the program asks the terminal for
// mouse reports (cell motion, SGR) unless Options.NoMouse.
func TestMouseModeIsAskedUnlessNoMouse(t *testing.T) {
	for _, noMouse := range []bool{false, true} {
		var out syncBuffer
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			done <- RunRecording(ctx, NewRecordingEngine(nil), nil, Options{NoMouse: noMouse, TickInterval: time.Hour},
				tea.WithInput(nil), tea.WithOutput(&out))
		}()
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(out.String(), "waiting for traffic") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if asked := strings.Contains(out.String(), "\x1b[?1002h"); asked == noMouse {
			t.Errorf("NoMouse %v: mouse reports asked for: %v", noMouse, asked)
		}
	}
}

// syncBuffer is a bytes.Buffer the program writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestNoMouseIgnoresClicks: with Options.NoMouse a click that comes anyway
// selects nothing.
func TestNoMouseIgnoresClicks(t *testing.T) {
	m := New(newFakeEngine(), Options{NoMouse: true, TickInterval: time.Hour})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	m.Update(observationsMsg(traffic()))
	_, top := cellOf(t, m, "┌─ Traffic", 0)
	x, y := cellOf(t, m, "→ tools/call", top)
	m.Update(click(x+2, y))
	if r, _ := m.traffic.selected(); r.obs.Seq == 1 || !m.traffic.follow {
		t.Error("a click selected a row with NoMouse")
	}
}
