// Package incoming is the accept/refuse dialog for a call coming in, shown
// on its own or, as call waiting, over a call in progress.
package incoming

import (
	"fmt"

	"charm.land/lipgloss/v2"

	"github.com/dialtone/dialtone/tui/common"
)

// Info is what the dialog shows.
type Info struct {
	Label, Number string
	Waiting       bool // arrives during another call
	More          int  // further calls waiting to be asked about
}

// Dialog draws the dialog box alone, at most h rows, for the root to place.
func Dialog(c *common.Common, in Info, h int) string {
	s := c.Styles
	head := "☎ incoming call"
	if in.Waiting {
		head = "☎ call waiting"
	}
	lines := []string{s.Accent.Render(head), "", s.Title.Render(in.Label)}
	if f := c.FormatNumber(in.Number); f != in.Label {
		lines = append(lines, f)
	}
	accept := "a accept"
	if in.Waiting {
		accept = "a end current call and accept"
	}
	if in.More > 0 {
		// One caller ringing again and again must not hide the others.
		lines = append(lines, "", s.Accent.Render(fmt.Sprintf("+%d more calling", in.More)))
	}
	lines = append(lines, "", s.Good.Render(accept)+"    "+s.Bad.Render("r refuse"))
	return common.Box(s.Dialog, lines, c.Width, max(0, h))
}

// View draws the dialog centred on an otherwise empty screen.
func View(c *common.Common, in Info, helpView string) string {
	h := max(0, c.Height-lipgloss.Height(helpView))
	return lipgloss.JoinVertical(lipgloss.Left, lipgloss.Place(c.Width, h, lipgloss.Center, lipgloss.Center, Dialog(c, in, h)), helpView)
}
