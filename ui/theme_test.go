package ui

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
)

// TestThemePalettes: with colours on, the light palette draws the screen
// in other colours than the dark one (the xterm-256 shades, where dark
// takes the terminal's ANSI colours), and every style that has a colour
// has one per palette.
func TestThemePalettes(t *testing.T) {
	profile, dark := lipgloss.ColorProfile(), lipgloss.HasDarkBackground()
	t.Cleanup(func() { lipgloss.SetColorProfile(profile); lipgloss.SetHasDarkBackground(dark) })
	screens := map[Theme]string{}
	for _, theme := range []Theme{ThemeDark, ThemeLight} {
		m := New(newFakeEngine(), Options{Theme: theme, TickInterval: time.Hour})
		lipgloss.SetColorProfile(termenv.ANSI256) // after New: NO_COLOR in the environment must not hide the palettes
		m.Init()
		m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
		m.Update(observationsMsg(traffic()))
		press(m, "k")
		screens[theme] = m.View()
	}
	if plain(screens[ThemeDark]) != plain(screens[ThemeLight]) {
		t.Fatal("the themes differ in text, not only in colour")
	}
	for theme, want := range map[Theme][]string{
		ThemeDark:  {"\x1b[34m", "\x1b[32m"},           // ANSI blue (→ the request) and green (← the answers)
		ThemeLight: {"\x1b[38;5;25m", "\x1b[38;5;28m"}, // their darker shades
	} {
		for _, code := range want {
			if !strings.Contains(screens[theme], code) {
				t.Errorf("the %s screen lacks %q", theme, code)
			}
		}
	}
	if strings.Contains(screens[ThemeLight], "\x1b[32m") || strings.Contains(screens[ThemeDark], "38;5;28m") {
		t.Error("a palette draws with the other's colours")
	}
	for _, c := range []lipgloss.AdaptiveColor{colorBlue, colorGreen, colorRed, colorYellow, colorMagenta} {
		if c.Light == "" || c.Dark == "" || c.Light == c.Dark {
			t.Errorf("colour %+v is not one per palette", c)
		}
	}
}

// TestThemeFlag: --theme takes auto, dark and light, and nothing else.
func TestThemeFlag(t *testing.T) {
	var th Theme
	if th.String() != "auto" {
		t.Errorf("the default theme is %q", th.String())
	}
	for _, ok := range []string{"auto", "dark", "light"} {
		if err := th.Set(ok); err != nil || th.String() != ok {
			t.Errorf("Set(%q): %v, %q", ok, err, th.String())
		}
	}
	if err := th.Set("blue"); err == nil || !strings.Contains(err.Error(), "auto, dark or light") {
		t.Errorf("Set(blue): %v", err)
	}
}

// TestCopyMessage: y on a row puts its message on the clipboard by OSC 52
// (the escape, with the message in base64, goes out with the next frame)
// and writes it to the file the status bar names.
func TestCopyMessage(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	m := New(newFakeEngine(), Options{TickInterval: time.Hour})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 48))
	tm.Send(observationsMsg(traffic()))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "evil") }, teatest.WithDuration(5*time.Second))
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("g")}) // the tools/call request
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	body := traffic()[0].Body
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(body)) + "\x07"
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), want) }, teatest.WithDuration(5*time.Second))
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	_, path, ok := strings.Cut(final.notice, "written to ")
	if !ok || !strings.HasPrefix(final.notice, "message copied (OSC 52)") {
		t.Fatalf("status: %q", final.notice)
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != body {
		t.Errorf("the file %s holds %q (%v), want the message", path, data, err)
	}
}

// TestCopyMessageWithoutOne: y on no row, or a row without a message,
// says so and puts nothing on the clipboard.
func TestCopyMessageWithoutOne(t *testing.T) {
	m := New(newFakeEngine(), Options{TickInterval: time.Hour})
	press(m, "y")
	if m.clipboard != "" || !strings.Contains(m.notice, "select a row") {
		t.Errorf("y on an empty list: clipboard %q, status %q", m.clipboard, m.notice)
	}
}
