package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/dialtone/dialtone/tui/keymap"
	"github.com/dialtone/dialtone/tui/pages/incall"
	"github.com/dialtone/dialtone/tui/pages/incoming"
	"github.com/dialtone/dialtone/tui/pages/outgoing"
	"github.com/dialtone/dialtone/tui/pages/summary"
)

// View draws the screen in the alternate screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Content())
	v.AltScreen = true
	v.WindowTitle = "dialtone"
	return v
}

// Content is the screen's text; View wraps it, tests compare it.
func (m *Model) Content() string {
	c := m.c
	if m.ringing != nil && m.screen != ScreenSetup {
		in := incoming.Info{Label: c.Label(m.ringing.peer), Number: m.ringing.peer, Waiting: m.ringing.waiting}
		if m.screen == ScreenInCall && m.cur != nil {
			info := m.inCallInfo()
			info.Overlay = incoming.Dialog(c, in)
			return m.incall.View(c, info, c.Now(), c.HelpView(m.helpFor(c.Keys.Incoming())))
		}
		return incoming.View(c, in, c.HelpView(m.helpFor(c.Keys.Incoming())))
	}
	switch m.screen {
	case ScreenSetup:
		return m.setup.View(c, c.HelpView(c.Keys.Form()))
	case ScreenContact:
		return m.contact.View(c, c.HelpView(c.Keys.Form()))
	case ScreenOutgoing:
		if cur := m.cur; cur != nil {
			return outgoing.View(c, outgoing.Info{Label: c.Label(cur.peer), Number: cur.peer, Ringing: cur.ringing,
				Elapsed: c.Now().Sub(cur.dialedAt)}, c.HelpView(c.Keys.Outgoing()))
		}
	case ScreenInCall:
		if m.cur != nil {
			return m.incall.View(c, m.inCallInfo(), c.Now(), c.HelpView(c.Keys.InCall()))
		}
	case ScreenSummary:
		return summary.View(c, m.summary, c.HelpView(c.Keys.Summary()))
	}
	return m.home.View(c, m.status, c.HelpView(c.Keys.Home()))
}

// helpFor adds the in-call keys to the dialog's help during call waiting,
// since they still work.
func (m *Model) helpFor(h keymap.Help) keymap.Help {
	if m.screen != ScreenInCall || m.cur == nil {
		return h
	}
	k := m.c.Keys
	return keymap.Help{Short: append(h.Short[:len(h.Short):len(h.Short)], k.Mute, k.Camera, k.Hangup),
		Full: append(h.Full[:len(h.Full):len(h.Full)], k.InCall().Short)}
}

func (m *Model) inCallInfo() incall.Info {
	cur := m.cur
	return incall.Info{
		Label: m.c.Label(cur.peer), Number: cur.peer, Start: cur.start,
		LocalLease: cur.local, RemoteLease: cur.remote, Media: cur.media, Connected: cur.connected,
		Stats: cur.stats, Muted: m.muted, CameraOff: !m.cameraOn, ShowStats: m.stats,
	}
}
