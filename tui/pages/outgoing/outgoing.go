// Package outgoing is the screen shown while our call rings.
package outgoing

import (
	"time"

	"charm.land/lipgloss/v2"

	"github.com/dialtone/dialtone/tui/common"
)

// Info is what the screen shows.
type Info struct {
	Label, Number string
	Ringing       bool // the callee is being alerted (else still dialling)
	Elapsed       time.Duration
}

// View draws the screen.
func View(c *common.Common, in Info, helpView string) string {
	s := c.Styles
	state := "dialling…"
	if in.Ringing {
		state = "ringing…"
	}
	lines := []string{s.Subtle.Render("calling"), s.Title.Render(in.Label)}
	if f := c.FormatNumber(in.Number); f != in.Label {
		lines = append(lines, f)
	}
	lines = append(lines, "", s.Accent.Render("☎ "+state+"  "+common.Duration(in.Elapsed)))
	body := lipgloss.JoinVertical(lipgloss.Center, lines...)
	h := max(0, c.Height-lipgloss.Height(helpView))
	return lipgloss.JoinVertical(lipgloss.Left, lipgloss.Place(c.Width, h, lipgloss.Center, lipgloss.Center, body), helpView)
}
