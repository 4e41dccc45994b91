// Package common is the value every page shares: the screen size, styles,
// keys, the user's region and the clock. It is the one "common" package the
// house style allows, and holds no behaviour beyond small helpers.
package common

import (
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/tui/book"
	"github.com/dialtone/dialtone/tui/keymap"
	"github.com/dialtone/dialtone/tui/styles"
)

// Common is shared by the root model and its pages.
type Common struct {
	Width, Height int
	Styles        styles.Styles
	Keys          keymap.KeyMap
	Help          help.Model
	// Region is the ISO country for numbers typed without a country code.
	Region string
	// Now is the clock; tests fix it.
	Now func() time.Time
	// Book holds contacts and history.
	Book *book.Book
	// Services are the short codes the server answers itself; nil until
	// the phone has registered.
	Services []call.Service
}

// Service returns the name of the service with this code.
func (c *Common) Service(code string) (string, bool) {
	for _, s := range c.Services {
		if s.Code == code {
			return s.Name, true
		}
	}
	if c.Services == nil && code == EchoCode {
		return "echo test", true
	}
	return "", false
}

// EchoCode is the echo test's service code.
const EchoCode = "600"

// FormatNumber shows a normalised number for people.
func (c *Common) FormatNumber(n string) string {
	return number.Format(number.Number(n), c.Region)
}

// Label is the contact's name for a number, or the number formatted.
func (c *Common) Label(n string) string {
	if c.Book != nil {
		if ct, ok := c.Book.Lookup(n); ok {
			return ct.Name
		}
	}
	if name, ok := c.Service(n); ok && name != "" {
		return name
	}
	return c.FormatNumber(n)
}

// HelpView renders the help bar for h at the current width, each line
// behind the one column of margin the pages keep. The short bar drops its
// least important keys (the last of h.Short) until it fits, and always
// keeps h.Pinned (help and quit); the full help is one aligned column of
// keys and what they do, never taller than the screen.
func (c *Common) HelpView(h keymap.Help) string {
	w := max(1, c.Width-1)
	c.Help.SetWidth(0) // we fit it ourselves: the bubble cuts items off blindly
	var lines []string
	if c.Help.ShowAll {
		// One aligned column: keys, then what they do.
		lines = strings.Split(c.Help.FullHelpView([][]key.Binding{slices.Concat(h.Full...)}), "\n")
		if limit := max(1, c.Height-1); len(lines) > limit {
			lines = lines[:limit]
		}
	} else {
		lines = []string{c.shortHelp(h, w)}
	}
	for i, l := range lines {
		lines[i] = " " + ansi.Truncate(strings.TrimRight(l, " "), w, "…")
	}
	return strings.Join(lines, "\n")
}

func (c *Common) shortHelp(h keymap.Help, w int) string {
	var short []key.Binding
	for _, b := range h.Short {
		if b.Enabled() {
			short = append(short, b)
		}
	}
	for n := len(short); n >= 0; n-- {
		v := c.Help.ShortHelpView(slices.Concat(short[:n], h.Pinned))
		if lipgloss.Width(v) <= w || n == 0 {
			return v
		}
	}
	return ""
}

// Box renders lines centred in st's box, made to fit w×h: narrower than
// its text, the box takes the width and the text wraps; taller than h, it
// loses its blank lines, and taller still, its border and padding (then
// whatever does not fit is cut, so the help below stays on screen).
func Box(st lipgloss.Style, lines []string, w, h int) string {
	render := func(lines []string) string {
		box := st.Render(lipgloss.JoinVertical(lipgloss.Center, lines...))
		if lipgloss.Width(box) > w {
			box = st.Width(w).Align(lipgloss.Center).Render(strings.Join(lines, "\n"))
		}
		return box
	}
	box := render(lines)
	if lipgloss.Height(box) > h {
		lines = slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return l == "" })
		box = render(lines)
	}
	if lipgloss.Height(box) > h {
		box = lipgloss.NewStyle().Width(w).MaxHeight(h).Align(lipgloss.Center).Render(strings.Join(lines, "\n"))
	}
	return box
}

// Duration formats a call's length as m:ss or h:mm:ss.
func Duration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s < 0 {
		s = 0
	}
	if s >= 3600 {
		return fmtInt(s/3600) + ":" + pad2(s/60%60) + ":" + pad2(s%60)
	}
	return fmtInt(s/60) + ":" + pad2(s%60)
}

func pad2(n int) string {
	if n < 10 {
		return "0" + fmtInt(n)
	}
	return fmtInt(n)
}

func fmtInt(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
