package tui

import tea "charm.land/bubbletea/v2"

// maxKeysShown is how many of a call's keypad tones the in-call view
// keeps, each way: enough for a menu's choice or a PIN's length.
const maxKeysShown = 24

// lastKeys keeps the newest maxKeysShown keys of s.
func lastKeys(s string) string {
	if len(s) > maxKeysShown {
		return s[len(s)-maxKeysShown:]
	}
	return s
}

// sendKey sends one keypad tone in the active call and shows it; before
// the media connects there is no stream to carry it.
func (m *Model) sendKey(d string) tea.Cmd {
	cur := m.cur
	if cur == nil || cur.id == "" || !cur.connected {
		return nil
	}
	cur.keysSent = lastKeys(cur.keysSent + d)
	id := cur.id
	return m.engineCmd("sending a keypad tone", id, func(p Phone) error { return p.SendTones(id, d) })
}
