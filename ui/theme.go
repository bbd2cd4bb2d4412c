package ui

import (
	"fmt"

	"github.com/charmbracelet/lipgloss"
)

// Theme is which palette the UI draws with (see style.go): ThemeAuto asks
// the terminal for its background colour (OSC 11) before the UI starts and
// takes the dark palette when the terminal does not answer. It is a
// pflag.Value, for --theme.
type Theme string

const (
	ThemeAuto  Theme = "auto"
	ThemeDark  Theme = "dark"
	ThemeLight Theme = "light"
)

// Set parses --theme.
func (t *Theme) Set(s string) error {
	switch Theme(s) {
	case ThemeAuto, ThemeDark, ThemeLight:
		*t = Theme(s)
		return nil
	}
	return fmt.Errorf("the theme is auto, dark or light, not %q", s)
}

func (t *Theme) String() string {
	if *t == "" {
		return string(ThemeAuto)
	}
	return string(*t)
}

// Type names the flag's value in the usage.
func (t *Theme) Type() string { return "auto|dark|light" }

// applyTheme sets the palette the styles' adaptive colours take, for the
// whole process. For ThemeAuto (or "") it asks the terminal now, before
// Bubble Tea reads the input: asked later, from a View, the answer would
// reach the program as keys. A terminal that is not one (tests, pipes)
// is not asked and counts as dark.
func applyTheme(t Theme) {
	switch t {
	case ThemeDark:
		lipgloss.SetHasDarkBackground(true)
	case ThemeLight:
		lipgloss.SetHasDarkBackground(false)
	default:
		lipgloss.SetHasDarkBackground(lipgloss.HasDarkBackground())
	}
}
