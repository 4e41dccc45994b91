// Package home is the phone's home screen: the number being typed
// (formatted as it is typed), contacts, recent and missed calls, the echo
// test hint and the connection status. It says what the user wants as
// messages (DialMsg, EditMsg, DeleteMsg); the root model acts on them.
package home

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/tui/book"
	"github.com/dialtone/dialtone/tui/common"
	"github.com/dialtone/dialtone/tui/components/field"
	"github.com/dialtone/dialtone/tui/keymap"
)

// DialMsg asks to call a normalised number.
type DialMsg struct{ Number string }

// EditMsg asks to edit the contact at Index (-1: a new one).
type EditMsg struct {
	Index   int
	Contact book.Contact
}

// DeleteMsg asks to delete the contact at Index.
type DeleteMsg struct{ Index int }

// LinkMsg asks for the link screen.
type LinkMsg struct{}

// Status is the connection status line.
type Status struct {
	Text string
	OK   bool // connected; otherwise connecting or trouble
	Err  bool
	// Detail, when set, is a line under the header saying why (and when
	// the next try is).
	Detail string
}

// Model is the home screen's state.
type Model struct {
	input   field.Field
	cursor  int // -1: the number; then contacts; then history
	err     string
	note    string
	confirm bool // asking whether to delete the chosen contact
	// devices and devicesHint say which devices are in use or missing.
	devices, devicesHint string
}

// SetDevices sets the line naming the devices, and the hint shown when one
// is missing.
func (m *Model) SetDevices(line, hint string) { m.devices, m.devicesHint = line, hint }

// New returns the home screen with an empty number.
func New() Model {
	return Model{input: field.Field{Accept: field.Digits, Max: number.MaxInput}, cursor: -1}
}

// Input returns what is typed.
func (m *Model) Input() string { return m.input.Value() }

// SetInput replaces what is typed.
func (m *Model) SetInput(s string) { m.input.SetValue(s); m.cursor = -1 }

// SetError shows err under the number until the next key, in place of
// any note.
func (m *Model) SetError(err string) { m.err, m.note = err, "" }

// SetNote shows note (not an error: "answered on laptop") under the number
// until the next key, in place of an older error: what shows is the
// latest, or a stale "server unreachable" would hide where a call went.
func (m *Model) SetNote(note string) { m.note, m.err = note, "" }

func (m *Model) items(c *common.Common) (contacts, recent int) {
	return len(c.Book.Contacts), min(len(c.Book.History), recentMax)
}

const recentMax = 50

// State is what the screen's keys depend on.
func (m *Model) State(c *common.Common) keymap.HomeState {
	nc, nr := m.items(c)
	return keymap.HomeState{
		Typed:   m.input.Value() != "",
		Contact: m.cursor >= 0 && m.cursor < nc,
		Recent:  m.cursor >= nc && m.cursor < nc+nr,
		Listed:  nc+nr > 0,
		Confirm: m.confirm,
	}
}

// Update handles a key, matching it against the bindings the help bar
// shows for this state.
func (m *Model) Update(c *common.Common, msg tea.KeyPressMsg) tea.Cmd {
	k := c.Keys.HomeKeys(m.State(c))
	nc, nr := m.items(c)
	if m.confirm {
		// Only y deletes; any other key keeps the contact.
		m.confirm = false
		if key.Matches(msg, k.Confirm) {
			i := m.cursor
			m.cursor = min(m.cursor, nc-2)
			return emit(DeleteMsg{Index: i})
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Up):
		m.cursor = max(-1, m.cursor-1)
		return nil
	case key.Matches(msg, k.Down):
		m.cursor = min(nc+nr-1, m.cursor+1)
		return nil
	case key.Matches(msg, k.Dial):
		return m.dial(c, nc)
	case key.Matches(msg, k.NewContact):
		ct := book.Contact{}
		if n, err := number.Parse(m.input.Value(), c.Region); err == nil {
			ct.Number = string(n)
		} else if m.cursor >= nc {
			ct.Number = c.Book.History[m.cursor-nc].Number
		}
		return emit(EditMsg{Index: -1, Contact: ct})
	case key.Matches(msg, k.Edit):
		return emit(EditMsg{Index: m.cursor, Contact: c.Book.Contacts[m.cursor]})
	case key.Matches(msg, k.Delete):
		m.confirm = true
		return nil
	case key.Matches(msg, k.Link):
		return emit(LinkMsg{})
	}
	if m.input.Update(msg) {
		m.cursor, m.err, m.note = -1, "", ""
	}
	return nil
}

func (m *Model) dial(c *common.Common, nc int) tea.Cmd {
	switch {
	case m.cursor >= 0 && m.cursor < nc:
		return emit(DialMsg{Number: c.Book.Contacts[m.cursor].Number})
	case m.cursor >= nc:
		return emit(DialMsg{Number: c.Book.History[m.cursor-nc].Number})
	}
	in := strings.TrimSpace(m.input.Value())
	if in == "" {
		m.err = "type a number, or dial 600 for the echo test"
		return nil
	}
	n, err := number.Parse(in, c.Region)
	if err != nil {
		m.err = number.Reason(err)
		return nil
	}
	if _, ok := c.Service(n.String()); n.IsService() && !ok && c.Services != nil {
		m.err = n.String() + " is no service of this server; write numbers with + and the country code"
		return nil
	}
	m.err, m.note = "", ""
	return emit(DialMsg{Number: string(n)})
}

func emit(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// Formatted is the typed number as people write it, formatted as soon as it
// is a possible number and left as typed until then.
// The rule is number.Typed, which the browser phone shows too.
func Formatted(in, region string) string { return number.Typed(in, region) }

// View draws the home screen in c.Width×c.Height, help bar excluded.
func (m *Model) View(c *common.Common, st Status, helpView string) string {
	s := c.Styles
	w := max(20, c.Width-2)
	status := s.Warn.Render("○ " + st.Text)
	if st.OK {
		status = s.Good.Render("● " + st.Text)
	} else if st.Err {
		status = s.Bad.Render("✕ " + st.Text)
	}
	title := s.Title.Render("☎ dialtone")
	// A long status is cut, not let push the view past the terminal's edge.
	status = ansi.Truncate(status, max(1, w-lipgloss.Width(title)-1), "…")
	gap := max(1, w-lipgloss.Width(title)-lipgloss.Width(status))
	header := title + strings.Repeat(" ", gap) + status
	for line := range strings.Lines(st.Detail) {
		header += "\n" + s.Warn.Render(ansi.Truncate(strings.TrimSuffix(line, "\n"), w, "…"))
	}

	num := Formatted(m.input.Value(), c.Region)
	if m.cursor == -1 {
		num += "▏"
	}
	box := s.Number.Width(min(w, 34)).Render(num)
	hint := s.Subtle.Render("type a number and press enter")
	if _, ok := c.Service(common.EchoCode); ok {
		hint = s.Subtle.Render("dial " + common.EchoCode + " for the echo test")
	}
	if m.note != "" {
		hint = s.Warn.Width(w).Render(m.note)
	}
	if m.err != "" {
		hint = s.Bad.Width(w).Render(m.err) // wrapped: a reason cut at the edge says nothing
	}
	if m.confirm {
		hint = s.Warn.Render("delete " + cut(c.Book.Contacts[m.cursor].Name, 24) + "? y deletes, n keeps")
	}

	if m.devices != "" {
		hint += "\n" + s.Subtle.Render(ansi.Truncate(m.devices, w, "…"))
		if m.devicesHint != "" {
			hint += "\n" + s.Warn.Render(ansi.Truncate(m.devicesHint, w, "…"))
		}
	}
	listH := max(0, c.Height-lipgloss.Height(header)-lipgloss.Height(box)-lipgloss.Height(hint)-lipgloss.Height(helpView)-3)
	contacts := m.contactsView(c, listH)
	var lists string
	if w >= 72 {
		recent := m.recentView(c, listH, w-w/2)
		lists = lipgloss.JoinHorizontal(lipgloss.Top, lipgloss.NewStyle().Width(w/2).Render(contacts), recent)
	} else {
		lists = lipgloss.JoinVertical(lipgloss.Left, contacts, "", m.recentView(c, listH, w))
	}
	body := lipgloss.JoinVertical(lipgloss.Left, header, "", box, hint, "", lists)
	body = lipgloss.NewStyle().Height(max(0, c.Height-lipgloss.Height(helpView))).MaxHeight(max(0, c.Height-lipgloss.Height(helpView))).Render(s.App.Render(body))
	return lipgloss.JoinVertical(lipgloss.Left, body, helpView)
}

func (m *Model) contactsView(c *common.Common, h int) string {
	s := c.Styles
	lines := []string{s.Section.Render("Contacts")}
	if len(c.Book.Contacts) == 0 {
		lines = append(lines, s.Subtle.Render("none yet — n adds one"))
	}
	for i, ct := range c.Book.Contacts {
		if len(lines) >= h {
			break
		}
		line := fmt.Sprintf("%-16s %s", cut(ct.Name, 16), c.FormatNumber(ct.Number))
		lines = append(lines, m.item(c, i, line))
	}
	return strings.Join(lines, "\n")
}

// recentView lists the history in w columns: the label takes what the
// other fields leave, so "just now" is never cut.
func (m *Model) recentView(c *common.Common, h, w int) string {
	s := c.Styles
	nc := len(c.Book.Contacts)
	lines := []string{s.Section.Render("Recent")}
	if len(c.Book.History) == 0 {
		lines = append(lines, s.Subtle.Render("no calls yet"))
	}
	now := c.Now()
	const fixed = 2 + 2 + 1 + 9 + 1 + 8 // "› ", "↗ ", label, " ", detail, " ", "just now"
	lw := min(18, max(6, w-fixed))
	for i, r := range c.Book.History {
		if i >= recentMax || len(lines) >= h {
			break
		}
		arrow, detail := "↗", common.Duration(r.Duration)
		switch r.Direction {
		case book.Incoming:
			arrow = "↙"
		case book.Missed:
			arrow, detail = "✕", "missed"
		}
		if r.Result != "" && r.Result != "ended" && r.Direction != book.Missed {
			detail = resultWord(r.Result)
		}
		line := fmt.Sprintf("%s %-*s %-9s %s", arrow, lw, cut(c.Label(r.Number), lw), cut(detail, 9), ago(now.Sub(r.At)))
		if r.Direction == book.Missed && m.cursor != nc+i {
			line = s.Bad.Render(line)
		}
		lines = append(lines, m.item(c, nc+i, line))
	}
	return strings.Join(lines, "\n")
}

// resultWord is a recent call's outcome in a word that fits its 9-column
// field; the engine's event names are not all words, nor all short.
func resultWord(result string) string {
	switch result {
	case "unavailable":
		return "unreached"
	case "no-answer":
		return "no answer"
	case "error":
		return "failed"
	}
	return result
}

func (m *Model) item(c *common.Common, i int, line string) string {
	if m.cursor == i {
		return c.Styles.Selected.Render("› " + line)
	}
	return "  " + line
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// ago says how long ago something happened, coarsely.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}
