// Package link is the screen that links another device to the number: it
// shows a one-time link code, as text and as a QR code, what to run on the
// new device, how long the code is good for, and the devices that came
// with it.
package link

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/tui/common"
	"github.com/dialtone/dialtone/tui/components/qrcode"
)

// Info is what the screen shows.
type Info struct {
	Number  string // E.164
	Code    string // empty while the server is asked
	Expires time.Time
	Joined  []string      // devices linked with the code
	Devices []call.Device // the number's devices, when known
	Err     string
}

// View draws the screen at now.
func View(c *common.Common, in Info, now time.Time, helpView string) string {
	s := c.Styles
	h := max(0, c.Height-lipgloss.Height(helpView))
	lines := []string{s.Title.Render("link a device")}
	switch {
	case in.Err != "":
		lines = append(lines, "", s.Bad.Render(in.Err))
	case in.Code == "":
		lines = append(lines, "", s.Subtle.Render("asking the server for a code…"))
	default:
		words := codeLines(c, in, now)
		// The QR code when the screen has room for it and the words
		// (and the panel's border) at once.
		pic, err := qrcode.Render(qrcode.LinkText(in.Number, in.Code))
		if rows := strings.Count(pic, "\n"); err == nil && h-2-len(lines)-len(words) >= rows && c.Width >= 40 {
			lines = append(lines, strings.Split(strings.TrimSuffix(pic, "\n"), "\n")...)
		} else {
			lines = append(lines, "")
		}
		lines = append(lines, words...)
	}
	body := common.Box(s.Panel, lines, c.Width, h)
	return lipgloss.JoinVertical(lipgloss.Left, lipgloss.Place(c.Width, h, lipgloss.Center, lipgloss.Center, body), helpView)
}

// codeLines are the code, how long it is good for or who came with it, and
// what to run on the new device.
func codeLines(c *common.Common, in Info, now time.Time) []string {
	s := c.Styles
	left := in.Expires.Sub(now).Truncate(time.Second)
	state := s.Subtle.Render(fmt.Sprintf("one device, for %s", common.Duration(left)))
	switch {
	case len(in.Joined) > 0:
		state = s.Good.Render("linked " + strings.Join(in.Joined, ", "))
	case left <= 0:
		state = s.Bad.Render("expired; esc, then l for a new code")
	}
	lines := []string{s.Accent.Render(in.Code) + "  " + state,
		s.Subtle.Render("on the new device: ") + "dialtone --number " + in.Number + " --link " + in.Code}
	if len(in.Devices) > 0 {
		lines = append(lines, s.Subtle.Render("devices: ")+deviceList(in.Devices))
	}
	return lines
}

// deviceList names the devices on one line: "desk (this) · laptop (online)".
func deviceList(ds []call.Device) string {
	names := make([]string, 0, len(ds))
	for _, d := range ds {
		n := d.Name
		switch {
		case d.This:
			n += " (this)"
		case d.Online:
			n += " (online)"
		}
		names = append(names, n)
	}
	return strings.Join(names, " · ")
}
