// Package setup is the first-run form: it asks for the user's own number,
// which the phone then registers and remembers. It answers with DoneMsg.
package setup

import (
	"slices"

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

// Typed reports whether anything is typed.
func (m *Model) Typed() bool { return m.input.Value() != "" }

// Update handles a key.
func (m *Model) Update(c *common.Common, msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, c.Keys.Save) {
		n, err := number.Parse(m.input.Value(), c.Region)
		switch {
		case err != nil:
			m.err = number.Reason(err)
			return nil
		case n.IsService():
			m.err = n.String() + " is a service code, not a number"
			return nil
		}
		return func() tea.Msg { return DoneMsg{Number: string(n)} }
	}
	if m.input.Update(msg) {
		m.err = ""
	}
	return nil
}

// View draws the form. The block is as wide as its fixed text, and the
// error wraps inside it in room kept for it, so the form does not move
// when an error appears. On a short screen the blank lines go first.
func (m *Model) View(c *common.Common, helpView string) string {
	s := c.Styles
	h := max(0, c.Height-lipgloss.Height(helpView))
	lines := []string{
		s.Title.Render("Welcome to dialtone ☎"), "",
		"What is your phone number? People will call you on it.",
		s.Subtle.Render("It is registered with the server and remembered for next time."), "",
		s.FieldOn.Width(36).Render(home.Formatted(m.input.Value(), c.Region) + "▏"),
	}
	w := min(lipgloss.Width(lipgloss.JoinVertical(lipgloss.Left, lines...)), max(1, c.Width-2))
	render := func(lines []string) string {
		return lipgloss.NewStyle().Width(w).Render(lipgloss.JoinVertical(lipgloss.Left,
			append(lines, s.Bad.Width(w).Height(2).Render(m.err))...))
	}
	body := render(lines)
	if lipgloss.Height(body) > h {
		lines = slices.DeleteFunc(lines, func(l string) bool { return l == "" })
		body = render(lines)
	}
	// Still too tall (a short terminal with the full help open): the
	// explanations go, then the title; the field and its error stay.
	for len(lines) > 1 && lipgloss.Height(body) > h {
		i := 1
		if len(lines) == 2 {
			i = 0
		}
		lines = slices.Delete(lines, i, i+1)
		body = render(lines)
	}
	return lipgloss.JoinVertical(lipgloss.Left, lipgloss.Place(c.Width, h, lipgloss.Center, lipgloss.Center, body), helpView)
}

// SetError shows why the number was not taken (the server refused it) until
// the next key.
func (m *Model) SetError(err string) { m.err = err }
