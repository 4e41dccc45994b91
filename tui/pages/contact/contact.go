// Package contact is the form that adds or edits a contact: a name and a
// number. It answers with SaveMsg or CancelMsg.
package contact

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/tui/book"
	"github.com/dialtone/dialtone/tui/common"
	"github.com/dialtone/dialtone/tui/components/field"
	"github.com/dialtone/dialtone/tui/pages/home"
)

// SaveMsg carries the edited contact; Index -1 is a new one.
type SaveMsg struct {
	Index   int
	Contact book.Contact
}

// CancelMsg leaves the form without saving.
type CancelMsg struct{}

// Model is the form.
type Model struct {
	index  int
	name   field.Field
	number field.Field
	focus  int // 0 name, 1 number
	err    string
}

// New starts the form for the contact at index (-1: new) with ct filled in.
func New(index int, ct book.Contact, region string) Model {
	m := Model{index: index, name: field.Field{Max: 40}, number: field.Field{Accept: field.Digits, Max: number.MaxInput}}
	m.name.SetValue(ct.Name)
	if ct.Number != "" {
		m.number.SetValue(number.Format(number.Number(ct.Number), region))
	}
	if ct.Name != "" && ct.Number == "" {
		m.focus = 1
	}
	return m
}

// OnName reports whether the name field has the focus: there q and ? are
// letters.
func (m *Model) OnName() bool { return m.focus == 0 }

// Update handles a key.
func (m *Model) Update(c *common.Common, msg tea.KeyPressMsg) tea.Cmd {
	k := c.Keys
	switch {
	case key.Matches(msg, k.Back):
		return func() tea.Msg { return CancelMsg{} }
	case key.Matches(msg, k.NextFld):
		m.focus = 1 - m.focus
		return nil
	case key.Matches(msg, k.Save):
		return m.save(c)
	}
	f := &m.name
	if m.focus == 1 {
		f = &m.number
	}
	if f.Update(msg) {
		m.err = ""
	}
	return nil
}

func (m *Model) save(c *common.Common) tea.Cmd {
	name := strings.TrimSpace(m.name.Value())
	if name == "" {
		m.err, m.focus = "give the contact a name", 0
		return nil
	}
	n, err := number.Parse(m.number.Value(), c.Region)
	if err != nil {
		m.err, m.focus = number.Reason(err), 1
		return nil
	}
	if _, ok := c.Service(n.String()); n.IsService() && !ok {
		m.err, m.focus = n.String()+" is no service of this server; write the number with + and the country code", 1
		return nil
	}
	msg := SaveMsg{Index: m.index, Contact: book.Contact{Name: name, Number: string(n)}}
	return func() tea.Msg { return msg }
}

// View draws the form.
func (m *Model) View(c *common.Common, helpView string) string {
	s := c.Styles
	title := "New contact"
	if m.index >= 0 {
		title = "Edit contact"
	}
	fieldView := func(i int, label string, f *field.Field, shown string) string {
		st := s.Field
		if m.focus == i {
			st = s.FieldOn
			shown += "▏"
		}
		return label + "\n" + st.Width(36).Render(shown)
	}
	// The error wraps at the fields' width, so a long one does not widen the
	// form and move it sideways.
	errView := s.Bad.Width(36).Render(m.err)
	body := lipgloss.JoinVertical(lipgloss.Left,
		s.Title.Render(title), "",
		fieldView(0, "Name", &m.name, m.name.Value()),
		fieldView(1, "Number", &m.number, home.Formatted(m.number.Value(), c.Region)),
		errView,
	)
	h := max(0, c.Height-lipgloss.Height(helpView))
	if lipgloss.Height(body) > h {
		// A short terminal with the full help open: the field being typed
		// in keeps its box, the other is one line, and the title goes.
		name, number := fieldView(0, "Name", &m.name, m.name.Value()), fieldView(1, "Number", &m.number, home.Formatted(m.number.Value(), c.Region))
		if m.focus == 0 {
			number = "Number " + s.Subtle.Render(ansi.Truncate(home.Formatted(m.number.Value(), c.Region), 28, "…"))
		} else {
			name = "Name   " + s.Subtle.Render(ansi.Truncate(m.name.Value(), 28, "…"))
		}
		body = lipgloss.JoinVertical(lipgloss.Left, name, number, errView)
	}
	return lipgloss.JoinVertical(lipgloss.Left, lipgloss.Place(c.Width, h, lipgloss.Center, lipgloss.Center, body), helpView)
}
