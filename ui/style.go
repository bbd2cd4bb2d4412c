package ui

import (
	"os"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// Styles of the UI. Colours use the terminal's ANSI palette, so they
// follow the user's theme; NO_COLOR turns them all off.
var (
	styleTitle    = lipgloss.NewStyle().Bold(true)
	styleBar      = lipgloss.NewStyle().Reverse(true)
	styleDim      = lipgloss.NewStyle().Faint(true)
	styleSelected = lipgloss.NewStyle().Reverse(true)
	styleToServer = lipgloss.NewStyle().Foreground(lipgloss.Color("4"))
	styleToClient = lipgloss.NewStyle().Foreground(lipgloss.Color("2"))
	styleError    = lipgloss.NewStyle().Foreground(lipgloss.Color("1"))
	stylePaused   = lipgloss.NewStyle().Foreground(lipgloss.Color("3")).Bold(true)
	styleBorder   = lipgloss.NewStyle().Border(lipgloss.NormalBorder())
	styleJSONKey  = lipgloss.NewStyle().Foreground(lipgloss.Color("4"))
	styleJSONStr  = lipgloss.NewStyle().Foreground(lipgloss.Color("2"))
	styleJSONNum  = lipgloss.NewStyle().Foreground(lipgloss.Color("3"))
	styleJSONLit  = lipgloss.NewStyle().Foreground(lipgloss.Color("5"))
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
