package tui

import (
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/dialtone/dialtone/tui/common"
	"github.com/dialtone/dialtone/tui/keymap"
	"github.com/dialtone/dialtone/tui/pages/incall"
	"github.com/dialtone/dialtone/tui/pages/incoming"
	"github.com/dialtone/dialtone/tui/pages/link"
	"github.com/dialtone/dialtone/tui/pages/outgoing"
	"github.com/dialtone/dialtone/tui/pages/summary"
)

// View draws the screen in the alternate screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Content())
	m.paintVideo()
	v.AltScreen = true
	v.WindowTitle = "dialtone"
	return v
}

// Content is the screen's text; View wraps it, tests compare it.
func (m *Model) Content() string {
	c := m.c
	help := c.HelpView(m.helpKeys())
	if m.ringing != nil && m.screen != ScreenSetup {
		in := incoming.Info{Label: c.Label(m.ringing.peer), Number: m.ringing.peer, Waiting: m.ringing.waiting, More: len(m.queued)}
		if m.screen == ScreenInCall && m.cur != nil {
			info := m.inCallInfo()
			// The dialog takes the video's place, above the status line and
			// the notice, if any, above that.
			room := c.Height - lipgloss.Height(help) - lipgloss.Height(incall.StatusLine(c, info, c.Now()))
			if info.Notice != "" {
				room--
			}
			info.Overlay = incoming.Dialog(c, in, room)
			return m.incall.View(c, info, c.Now(), help)
		}
		return incoming.View(c, in, help)
	}
	switch m.screen {
	case ScreenSetup:
		return m.setup.View(c, help)
	case ScreenContact:
		return m.contact.View(c, help)
	case ScreenOutgoing:
		if cur := m.cur; cur != nil {
			return outgoing.View(c, outgoing.Info{Label: c.Label(cur.peer), Number: cur.peer, Ringing: cur.ringing,
				Elapsed: c.Now().Sub(cur.dialedAt)}, help)
		}
	case ScreenInCall:
		if m.cur != nil {
			return m.incall.View(c, m.inCallInfo(), c.Now(), help)
		}
	case ScreenSummary:
		return summary.View(c, m.summary, help)
	case ScreenLink:
		return link.View(c, m.link.info(m.cfg.Number), c.Now(), help)
	}
	return m.home.View(c, m.status, help)
}

// helpKeys is the help of what is on the screen, built from the bindings
// that screen matches keys against.
func (m *Model) helpKeys() keymap.Help {
	k := m.c.Keys
	if m.ringing != nil && m.screen != ScreenSetup {
		if m.screen == ScreenInCall && m.cur != nil {
			return k.Waiting(m.muted, m.cameraOn)
		}
		return k.Incoming()
	}
	switch m.screen {
	case ScreenSetup:
		return k.Setup(m.setup.Typed())
	case ScreenContact:
		return k.Contact(m.contact.OnName())
	case ScreenOutgoing:
		if m.cur != nil {
			return k.Outgoing()
		}
	case ScreenInCall:
		if m.cur != nil {
			return k.InCall(m.muted, m.cameraOn)
		}
	case ScreenSummary:
		return k.Summary(m.canVerify(), m.canTrust())
	case ScreenLink:
		return k.LinkScreen()
	}
	return k.Home(m.home.State(m.c))
}

func (m *Model) inCallInfo() incall.Info {
	cur := m.cur
	return incall.Info{
		Label: m.c.Label(cur.peer), Number: cur.peer, Start: cur.start,
		LocalLease: cur.local, RemoteLease: cur.remote, Media: cur.media, Connected: cur.connected,
		Stats: cur.stats, Muted: m.muted, CameraOff: !m.cameraOn, ShowStats: m.stats,
		Notice: m.inCallNotice(), PeerCameraOff: cur.peerCameraOff, Stalled: m.stalled(), Display: m.display(),
		Echo: cur.peer == common.EchoCode, Trust: cur.trust, KeysSent: cur.keysSent, KeysHeard: cur.keysHeard,
	}
}
