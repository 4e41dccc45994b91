// Package styles builds every Lip Gloss style the phone uses, in one place.
// The video itself is not styled here: the video pane writes its own escape
// sequences, because styling cell by cell would cost too much per frame.
package styles

import (
	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Styles are the phone's styles.
type Styles struct {
	App      lipgloss.Style
	Title    lipgloss.Style
	Subtle   lipgloss.Style
	Accent   lipgloss.Style
	Good     lipgloss.Style
	Warn     lipgloss.Style
	Bad      lipgloss.Style
	Number   lipgloss.Style // the number being typed
	Field    lipgloss.Style // a form field
	FieldOn  lipgloss.Style // the focused form field
	Section  lipgloss.Style
	Selected lipgloss.Style
	Dialog   lipgloss.Style // the incoming-call box
	Panel    lipgloss.Style // the stats overlay
	Status   lipgloss.Style // the in-call status line
	Help     help.Styles
}

// Default returns the phone's styles for a dark or light background.
func Default(dark bool) Styles {
	ld := lipgloss.LightDark(dark)
	accent := ld(lipgloss.Color("#5A3FD9"), lipgloss.Color("#A58BFF"))
	subtle := ld(lipgloss.Color("#8A8A8A"), lipgloss.Color("#7A7A7A"))
	good := ld(lipgloss.Color("#1E8A4C"), lipgloss.Color("#5FD38D"))
	warn := ld(lipgloss.Color("#B26B00"), lipgloss.Color("#F2B84B"))
	bad := ld(lipgloss.Color("#C0392B"), lipgloss.Color("#FF6B6B"))
	s := Styles{
		App:      lipgloss.NewStyle().Padding(0, 1),
		Title:    lipgloss.NewStyle().Bold(true).Foreground(accent),
		Subtle:   lipgloss.NewStyle().Foreground(subtle),
		Accent:   lipgloss.NewStyle().Foreground(accent),
		Good:     lipgloss.NewStyle().Foreground(good),
		Warn:     lipgloss.NewStyle().Foreground(warn),
		Bad:      lipgloss.NewStyle().Foreground(bad),
		Number:   lipgloss.NewStyle().Bold(true).Border(border).BorderForeground(accent).Padding(0, 1),
		Field:    lipgloss.NewStyle().Border(border).BorderForeground(subtle).Padding(0, 1),
		FieldOn:  lipgloss.NewStyle().Border(border).BorderForeground(accent).Padding(0, 1),
		Section:  lipgloss.NewStyle().Bold(true).Underline(true),
		Selected: lipgloss.NewStyle().Bold(true).Foreground(accent),
		Dialog:   lipgloss.NewStyle().Border(border).BorderForeground(accent).Padding(1, 3).Align(lipgloss.Center),
		Panel:    lipgloss.NewStyle().Border(border).BorderForeground(subtle).Padding(0, 1),
		Status:   lipgloss.NewStyle().Bold(true),
		Help:     helpStyles(ld),
	}
	return s
}

// border is the one border every box uses.
var border = lipgloss.RoundedBorder()

// helpStyles are the help bar's: bubbles' defaults are greys so dark that,
// brought down to 16 colours, they become black on a black terminal. These
// stay grey (bright black or white) there.
func helpStyles(ld lipgloss.LightDarkFunc) help.Styles {
	key := lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#5C5C5C"), lipgloss.Color("#A8A8A8")))
	desc := lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#6E6E6E"), lipgloss.Color("#8A8A8A")))
	sep := lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#7A7A7A"), lipgloss.Color("#6E6E6E")))
	return help.Styles{
		ShortKey: key, ShortDesc: desc, ShortSeparator: sep, Ellipsis: sep,
		FullKey: key, FullDesc: desc, FullSeparator: sep,
	}
}
