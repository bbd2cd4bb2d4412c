package ui

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	"github.com/mattn/go-runewidth"
)

// TestEveryBindingIsInAGroup: every key.Binding field of the key map is in
// exactly one group (so help, hints and the README show it), and no key
// answers to two bindings of the same context: the breakpoints pane's keys
// are read before the others while it has the focus, so they may reuse
// one (r); the rest may not.
func TestEveryBindingIsInAGroup(t *testing.T) {
	k := newKeyMap()
	grouped := map[*key.Binding]int{}
	for _, g := range k.groups {
		for _, e := range g.keys {
			grouped[e.binding]++
		}
	}
	v := reflect.ValueOf(k).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Type() != reflect.TypeOf(key.Binding{}) {
			continue
		}
		b := f.Addr().Interface().(*key.Binding)
		if n := grouped[b]; n != 1 {
			t.Errorf("binding %s is in %d groups of the key map, want 1", v.Type().Field(i).Name, n)
		}
		if len(b.Keys()) == 0 || b.Help().Desc == "" {
			t.Errorf("binding %s has no keys or no help", v.Type().Field(i).Name)
		}
	}
	for _, held := range []bool{false, true} {
		owner := map[string]string{}
		for _, g := range k.groups {
			if (g.title == "Breakpoints pane") != held {
				continue
			}
			for _, e := range g.keys {
				for _, key := range e.binding.Keys() {
					if o, ok := owner[key]; ok {
						t.Errorf("key %q answers to both %q and %q", key, o, e.binding.Help().Desc)
					}
					owner[key] = e.binding.Help().Desc
				}
			}
		}
	}
}

// TestHelpFitsAt80x24: at 80×24 the "?" help shows every binding (its
// keys and what it does) at once, with nothing to scroll, and covers the
// panes; "?" again brings them back.
func TestHelpFitsAt80x24(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	press(m, "?")
	screen := plain(m.View())
	if strings.Contains(screen, "more ↓") || strings.Contains(screen, "Traffic") {
		t.Fatalf("the help should fit 80×24 in columns, in place of the panes:\n%s", screen)
	}
	for _, g := range Keys() {
		for _, k := range g.Keys {
			if !helpShows(screen, k) {
				t.Errorf("the help at 80×24 lacks %q %q:\n%s", k.Label, k.Short, screen)
			}
		}
	}
	press(m, "?")
	if screen := plain(m.View()); !strings.Contains(screen, "Traffic") || strings.Contains(screen, "Keys ·") {
		t.Errorf("? again should close the help:\n%s", screen)
	}
}

// helpShows says whether a line of a help screen has k's label (as a
// word of its own) followed, after spaces, by its short description.
func helpShows(screen string, k KeyHelp) bool {
	for _, line := range strings.Split(screen, "\n") {
		for i := 0; ; i++ {
			j := strings.Index(line[i:], k.Label+" ")
			if j < 0 {
				break
			}
			i += j
			before, after := line[:i], line[i+len(k.Label):]
			if (before == "" || strings.HasSuffix(before, " ") || strings.HasSuffix(before, "│")) &&
				strings.HasPrefix(strings.TrimLeft(after, " "), k.Short) {
				return true
			}
		}
	}
	return false
}

// TestHelpScrollsWhenItDoesNotFit: in the smallest terminal (40×12) the
// help is one column that says "more ↓" (and the help bar how to scroll)
// and scrolls with j and pgdn
// until every binding has been on screen; G goes to its end, where "more
// ↓" goes; esc closes it.
func TestHelpScrollsWhenItDoesNotFit(t *testing.T) {
	m, _ := newTestModel(t, 40, 12)
	press(m, "?")
	seen := map[string]bool{}
	var screens []string
	for range 100 {
		screen := plain(m.View())
		screens = append(screens, screen)
		for _, line := range strings.Split(screen, "\n") {
			if w := runewidth.StringWidth(line); w > 40 {
				t.Fatalf("a help line is %d cells wide in a 40-cell terminal: %q", w, line)
			}
		}
		for _, g := range Keys() {
			for _, k := range g.Keys {
				if helpShows(screen, k) {
					seen[k.Label+" "+k.Short] = true
				}
			}
		}
		if !strings.Contains(screen, "more ↓") {
			break
		}
		press(m, "j")
	}
	if len(screens) < 3 || !strings.Contains(screens[0], "more ↓") || !strings.Contains(screens[0], "↓ down") {
		t.Fatalf("at 40×12 the help should scroll, saying more ↓; first screen:\n%s", screens[0])
	}
	for _, g := range Keys() {
		for _, k := range g.Keys {
			if !seen[k.Label+" "+k.Short] {
				t.Errorf("scrolling the help never showed %q %q", k.Label, k.Short)
			}
		}
	}
	press(m, "g", "pgdown")
	if strings.Contains(plain(m.View()), "Navigation") {
		t.Errorf("pgdn should scroll the help by a page")
	}
	press(m, "G")
	if end := plain(m.View()); strings.Contains(end, "more ↓") || !strings.Contains(end, "quit") {
		t.Errorf("G should show the end of the help:\n%s", end)
	}
	press(m, "esc")
	if m.showHelp {
		t.Error("esc should close the help")
	}
}

// TestMaximiseKey: z gives the traffic list the whole body (every row
// shows, the sessions and detail panes go), then the detail pane (the
// whole message shows; j still moves the selection), then brings the
// panes back; maximised, tab skips the hidden sessions pane, and paging
// moves by the maximised list's height.
func TestMaximiseKey(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	normal := plain(m.View())
	if !strings.Contains(normal, "Sessions") || !strings.Contains(normal, "Detail") {
		t.Fatalf("the panes at 80×24:\n%s", normal)
	}
	rowsBefore := m.listHeight()

	press(m, "z")
	screen := plain(m.View())
	if strings.Contains(screen, "Sessions") || strings.Contains(screen, "─ Detail") || !strings.Contains(screen, "z: detail") {
		t.Fatalf("z should maximise the traffic list:\n%s", screen)
	}
	if got := m.listHeight(); got != 24-2-2 || got <= rowsBefore {
		t.Errorf("maximised, the list shows %d rows (it showed %d), want %d", got, rowsBefore, 24-4)
	}
	press(m, "tab")
	if m.focus != focusTraffic {
		t.Errorf("maximised, tab moved the focus to the hidden pane %d", m.focus)
	}

	press(m, "k", "z")
	screen = plain(m.View())
	if strings.Contains(screen, "─ Traffic") || !strings.Contains(screen, "Detail · z: all panes") || !strings.Contains(screen, "J detail down") || !strings.Contains(screen, `"text": "done 3"`) {
		t.Fatalf("z again should maximise the detail pane, showing the whole result:\n%s", screen)
	}
	press(m, "k")
	if screen := plain(m.View()); !strings.Contains(screen, "notifications/progress  2026-11-26") {
		t.Errorf("k should select the previous row while the detail pane is maximised:\n%s", screen)
	}

	press(m, "z")
	if screen := plain(m.View()); !strings.Contains(screen, "Sessions") || !strings.Contains(screen, "─ Traffic") || !strings.Contains(screen, "─ Detail ─") {
		t.Errorf("z a third time should bring the panes back:\n%s", screen)
	}
}

// TestSplitAt80x24: at 80×24 the traffic list and the detail pane share
// the screen (each at least 7 lines inside), and the help bar and the
// status bar are one line each.
func TestSplitAt80x24(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	p := m.layout(bodyTop, 80, m.bodyHeight())
	if p.traffic.h-2 < 7 || p.detail.h-2 < 7 {
		t.Errorf("at 80×24 the traffic list has %d rows and the detail pane %d lines, want 7 each at least", p.traffic.h-2, p.detail.h-2)
	}
	lines := strings.Split(plain(m.View()), "\n")
	if len(lines) != 24 || !strings.HasPrefix(lines[0], "mcpscope") || !strings.HasPrefix(lines[23], "p pause/resume") {
		t.Errorf("the screen is %d lines, status %q, help bar %q", len(lines), lines[0], lines[len(lines)-1])
	}
}

// TestHintLine: hints are whole, separated by " · "; those that do not
// fit give way to "? more"; none is cut mid-word, at any width.
func TestHintLine(t *testing.T) {
	k := newKeyMap()
	bs := []key.Binding{k.HeldResume, k.HeldEdit, k.HeldDrop, k.HeldFail, k.Focus}
	all := "enter resume · e edit + resume · d drop · x answer with error · tab next pane"
	if got := plain(hintLine(bs, 200)); got != all {
		t.Errorf("wide: %q, want %q", got, all)
	}
	if got := plain(hintLine(bs, 40)); got != "enter resume · e edit + resume · ? more" {
		t.Errorf("at 40: %q", got)
	}
	for w := 0; w <= len(all)+2; w++ {
		got := plain(hintLine(bs, w))
		if runewidth.StringWidth(got) > w {
			t.Fatalf("at %d the hints take %d cells: %q", w, runewidth.StringWidth(got), got)
		}
		for _, part := range strings.Split(got, " · ") {
			if part != "" && part != hintMore && !strings.Contains(all, part) {
				t.Fatalf("at %d a hint is cut: %q in %q", w, part, got)
			}
		}
		if w >= len(hintMore) && got == "" {
			t.Errorf("at %d no hint, not even %q", w, hintMore)
		}
	}
}

// TestHintLines: the breakpoints pane flows its hints into lines of whole
// hints; when the lines it has do not hold them all, the last one ends in
// "? more".
func TestHintLines(t *testing.T) {
	k := newKeyMap()
	got := hintLines(k.heldHints(), 46, 3)
	want := []string{"enter resume · e edit + resume · d drop", "x answer with error · tab next pane"}
	if len(got) != len(want) || plain(got[0]) != want[0] || plain(got[1]) != want[1] {
		t.Errorf("at 46 cells: %q, want %q", got, want)
	}
	got = hintLines(k.heldHints(), 20, 2)
	if len(got) != 2 || plain(got[0]) != "enter resume" || !strings.HasSuffix(plain(got[1]), hintMore) {
		t.Errorf("at 20 cells, 2 lines: %q", got)
	}
}

// TestBreakpointsPaneScrolls: with more held messages than the pane has
// lines, moving the cursor down brings the last one into sight, and the
// pane's hints stay.
func TestBreakpointsPaneScrolls(t *testing.T) {
	m, eng := newTestModel(t, 80, 24)
	for i := 1; i <= 10; i++ {
		eng.held = append(eng.held, heldFixture()[0])
		eng.held[i-1].ID = fmt.Sprintf("h-%d", i)
	}
	m.refresh()
	press(m, "tab", "tab")
	if m.focus != focusHeld {
		t.Fatal("tab did not reach the breakpoints pane")
	}
	if screen := plain(m.View()); strings.Contains(screen, "h-10 ") || !strings.Contains(screen, "x answer with error") {
		t.Fatalf("ten held messages at 80×24, cursor on the first:\n%s", screen)
	}
	press(m, "j", "j", "j", "j", "j", "j", "j", "j", "j")
	if screen := plain(m.View()); !strings.Contains(screen, "h-10 ") || !strings.Contains(screen, "x answer with error") {
		t.Errorf("the cursor on the tenth held message:\n%s", screen)
	}
}
