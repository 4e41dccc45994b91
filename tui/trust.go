package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/dialtone/dialtone/call"
)

// canVerify: the summary's call had a safety code the user may confirm.
func (m *Model) canVerify() bool {
	t := m.summary.Trust
	return m.cfg.Keys != nil && t != nil && t.SafetyCode != "" && m.summary.Note == "" &&
		(t.State == call.TrustNew || t.State == call.TrustPinned || t.State == call.TrustNewDevice)
}

// canTrust: the summary's call was refused for a changed key.
func (m *Model) canTrust() bool {
	t := m.summary.Trust
	return m.cfg.Keys != nil && t != nil && t.State == call.TrustKeyChanged && m.summary.Note == ""
}

// verifyCmd marks number verified, off the Update goroutine.
func (m *Model) verifyCmd(number string) tea.Cmd {
	keys := m.cfg.Keys
	return func() tea.Msg {
		_, err := keys.Verify(number)
		return trustedMsg{number: number, note: "marked verified: the safety codes matched", err: err}
	}
}

// trustCmd accepts number's changed key.
func (m *Model) trustCmd(number string) tea.Cmd {
	keys := m.cfg.Keys
	return func() tea.Msg {
		_, err := keys.Accept(number)
		return trustedMsg{number: number, note: "new key trusted, not verified: compare the safety code at the next call", err: err}
	}
}

func (m *Model) onTrusted(msg trustedMsg) {
	if msg.number != m.summary.Number {
		return
	}
	if msg.err != nil {
		m.cfg.Logger.Error("changing pinned keys", "number", msg.number, "err", msg.err)
		m.summary.Note = "could not change the pinned keys: " + msg.err.Error()
		return
	}
	m.summary.Note = msg.note
}
