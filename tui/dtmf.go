package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/dialtone/dialtone/call"
)

// maxKeysShown is how many of a call's keypad tones the in-call view
// keeps, each way: enough for a menu's choice or a PIN's length.
const maxKeysShown = 24

// keysSentMsg says the engine took a call's keypad tones.
type keysSentMsg struct {
	id  call.ID
	err error
}

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
	cur.keysQueued += d
	if cur.keysBusy {
		return nil // onKeysSent sends it next
	}
	return m.flushKeys()
}

// flushKeys hands the keys typed so far to the engine, in one call.
func (m *Model) flushKeys() tea.Cmd {
	cur, p := m.cur, m.phone
	if p == nil || cur.keysQueued == "" {
		return nil
	}
	id, keys := cur.id, cur.keysQueued
	cur.keysQueued, cur.keysBusy = "", true
	return func() tea.Msg { return keysSentMsg{id: id, err: p.SendTones(id, keys)} }
}

func (m *Model) onKeysSent(msg keysSentMsg) tea.Cmd {
	if msg.err != nil {
		m.onEngineErr(engineErrMsg{op: "sending keypad tones", id: msg.id, err: msg.err})
	}
	if m.cur == nil || m.cur.id != msg.id {
		return nil
	}
	m.cur.keysBusy = false
	return m.flushKeys()
}
