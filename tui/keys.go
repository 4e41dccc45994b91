package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// handleKey routes a key: the incoming dialog first, then quitting and
// help, then the screen. The keys matched are the ones the help bar shows.
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	if m.ringing != nil && m.screen != ScreenSetup {
		switch {
		case key.Matches(msg, k.Quit):
			return m.quit()
		case key.Matches(msg, k.Accept):
			return m.accept()
		case key.Matches(msg, k.Refuse):
			return m.refuse()
		case key.Matches(msg, k.Help):
			m.toggleHelp()
		case m.screen == ScreenInCall:
			return m.inCallKey(msg) // call waiting: the call's keys still work
		}
		return nil // the dialog is on top of the screen
	}
	quit, help := k.Quit, k.Help
	if m.screen == ScreenContact {
		quit, help = k.FormQuit, k.ContactKeys(m.contact.OnName()).Help
	}
	switch {
	case key.Matches(msg, quit):
		return m.quit()
	case key.Matches(msg, help):
		m.toggleHelp()
		return nil
	}
	switch m.screen {
	case ScreenSetup:
		return m.setup.Update(m.c, msg)
	case ScreenContact:
		return m.contact.Update(m.c, msg)
	case ScreenHome:
		return m.home.Update(m.c, msg)
	case ScreenOutgoing:
		if key.Matches(msg, k.Cancel) {
			return m.hangup()
		}
	case ScreenInCall:
		return m.inCallKey(msg)
	case ScreenSummary:
		sk := k.SummaryKeys(m.canVerify(), m.canTrust())
		switch {
		case key.Matches(msg, k.Continue):
			m.screen = ScreenHome
		case key.Matches(msg, sk.Verify):
			return m.verifyCmd(m.summary.Number)
		case key.Matches(msg, sk.TrustKey):
			return m.trustCmd(m.summary.Number)
		case dialChar(msg):
			// Typing a number on the card starts the next dial: the card
			// goes, and the key reaches the number field, not nowhere.
			m.screen = ScreenHome
			return m.home.Update(m.c, msg)
		}
	case ScreenLink:
		if key.Matches(msg, k.Back) {
			m.screen = ScreenHome
		}
	}
	return nil
}

func (m *Model) toggleHelp() { m.c.Help.ShowAll = !m.c.Help.ShowAll }

func (m *Model) inCallKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Hangup):
		return m.hangup()
	case key.Matches(msg, k.Mute):
		m.muted = !m.muted
		muted := m.muted
		return m.engineCmd("muting", "", func(p Phone) error { p.SetMuted(muted); return nil })
	case key.Matches(msg, k.Camera):
		m.cameraOn = !m.cameraOn
		on := m.cameraOn
		if !on {
			m.cfg.Local.Clear()
		}
		return m.engineCmd("switching the camera", "", func(p Phone) error { p.SetCamera(on); return nil })
	case key.Matches(msg, k.Stats):
		m.stats = !m.stats
	case key.Matches(msg, k.Keypad):
		return m.sendKey(msg.String())
	}
	return nil
}

// dialChar: a key that begins a number in the dial field.
func dialChar(msg tea.KeyPressMsg) bool {
	return len(msg.Text) == 1 && (msg.Text[0] == '+' || msg.Text[0] >= '0' && msg.Text[0] <= '9')
}
