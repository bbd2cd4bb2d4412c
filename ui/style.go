package ui

import (
	"os"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// Styles of the UI. Colours come in two palettes, for dark and light
// backgrounds (--theme, see Theme): on a dark one the terminal's ANSI
// colours, so they follow the user's theme; on a light one darker shades,
// as ANSI yellow and green wash out on white. NO_COLOR turns them all off.
var (
	styleTitle    = lipgloss.NewStyle().Bold(true)
	styleBar      = lipgloss.NewStyle().Reverse(true)
	styleDim      = lipgloss.NewStyle().Faint(true)
	styleSelected = lipgloss.NewStyle().Reverse(true)
	styleToServer = lipgloss.NewStyle().Foreground(colorBlue)
	styleToClient = lipgloss.NewStyle().Foreground(colorGreen)
	styleError    = lipgloss.NewStyle().Foreground(colorRed)
	stylePaused   = lipgloss.NewStyle().Foreground(colorYellow).Bold(true)
	styleBorder   = lipgloss.NewStyle().Border(lipgloss.NormalBorder())
	styleJSONKey  = lipgloss.NewStyle().Foreground(colorBlue)
	styleJSONStr  = lipgloss.NewStyle().Foreground(colorGreen)
	styleJSONNum  = lipgloss.NewStyle().Foreground(colorYellow)
	styleJSONLit  = lipgloss.NewStyle().Foreground(colorMagenta)
)

// The palette: Dark, the ANSI colours; Light, xterm-256 shades that keep
// a contrast of at least 4.5:1 on white.
var (
	colorBlue    = lipgloss.AdaptiveColor{Dark: "4", Light: "25"}
	colorGreen   = lipgloss.AdaptiveColor{Dark: "2", Light: "28"}
	colorRed     = lipgloss.AdaptiveColor{Dark: "1", Light: "124"}
	colorYellow  = lipgloss.AdaptiveColor{Dark: "3", Light: "130"}
	colorMagenta = lipgloss.AdaptiveColor{Dark: "5", Light: "90"}
)

// honourNoColor turns colours off when NO_COLOR is set (https://no-color.org).
func honourNoColor() {
	if os.Getenv("NO_COLOR") != "" {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
}

// truncateStyled cuts a line that may hold styling to width cells.
func truncateStyled(s string, width int) string {
	return ansi.Truncate(s, max(width, 0), "…")
}
