// Package setup is the first-run form: it asks for the user's own number,
// which the phone then registers and remembers. It answers with DoneMsg.
package setup

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/tui/common"
	"github.com/dialtone/dialtone/tui/components/field"
	"github.com/dialtone/dialtone/tui/pages/home"
)

// DoneMsg carries the user's normalised number.
type DoneMsg struct{ Number string }

// Model is the form.
type Model struct {
	input field.Field
	err   string
}

// New returns the empty form.
func New() Model { return Model{input: field.Field{Accept: field.Digits, Max: number.MaxInput}} }

// Update handles a key.
func (m *Model) Update(c *common.Common, msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, c.Keys.Save) {
		n, err := number.Parse(m.input.Value(), c.Region)
		if err != nil || n.IsService() {
			m.err = "write your number with + and the country code, e.g. +1 555 010 0000"
			return nil
		}
		return func() tea.Msg { return DoneMsg{Number: string(n)} }
	}
	if m.input.Update(msg) {
		m.err = ""
	}
	return nil
}

// View draws the form.
func (m *Model) View(c *common.Common, helpView string) string {
	s := c.Styles
	body := lipgloss.JoinVertical(lipgloss.Left,
		s.Title.Render("Welcome to dialtone ☎"), "",
		"What is your phone number? People will call you on it.",
		s.Subtle.Render("It is registered with the server and remembered for next time."), "",
		s.FieldOn.Width(36).Render(home.Formatted(m.input.Value(), c.Region)+"▏"),
		s.Bad.Render(m.err),
	)
	h := max(0, c.Height-lipgloss.Height(helpView))
	return lipgloss.JoinVertical(lipgloss.Left, lipgloss.Place(c.Width, h, lipgloss.Center, lipgloss.Center, body), " "+helpView)
}
