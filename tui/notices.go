package tui

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/tui/pages/home"
)

// How long a passing notice ("connection to the server is back") stays.
const noticeFor = 5 * time.Second

// serverNotices is what the phone tells the user about its link to the
// server: why it cannot reach it and when it tries again, and, in a call,
// that signalling was lost and came back. The engine's events set it.
type serverNotices struct {
	// offline is why the server cannot be reached, while it cannot; a dial
	// is refused at once with it.
	offline string
	// lost: the link dropped during this run and has not come back.
	lost bool
	// notice is the in-call banner; until, if set, is when it goes.
	notice string
	until  time.Time
	// registered: the server accepted the number at least once this run.
	registered bool
	// rejected: the server refused the number; the first-run form asks
	// for another.
	rejected bool
	// saveNumber is the number the first-run form asked for (or the one
	// given on the command line, Config.RememberNumber), remembered once
	// the server accepts it.
	saveNumber string
}

// inCallNotice is the banner to show now, if any.
func (m *Model) inCallNotice() string {
	n := &m.notices
	if n.notice == "" || !n.until.IsZero() && m.c.Now().After(n.until) {
		return ""
	}
	return n.notice
}

// onRegistered notes that the server accepted the number, says so in a
// call that lost it, and remembers a number not remembered yet.
func (m *Model) onRegisteredNotice() tea.Cmd {
	n := &m.notices
	n.registered, n.rejected, n.offline = true, false, ""
	if n.lost {
		n.lost = false
		n.notice = "connection to the server is back (" + m.c.Now().Format("15:04:05") + ")"
		n.until = m.c.Now().Add(noticeFor)
	}
	num := n.saveNumber
	n.saveNumber = ""
	if save := m.cfg.SaveNumber; save != nil && num != "" {
		return func() tea.Msg {
			if err := save(num); err != nil {
				return engineErrMsg{op: "remembering your number", err: err}
			}
			return savedMsg{}
		}
	}
	return nil
}

func (m *Model) onDisconnected(ev call.Event) {
	m.notices.lost = true
	m.notices.notice, m.notices.until = "connection to the server lost — reconnecting…", time.Time{}
	m.status = home.Status{Text: "reconnecting…", Detail: ev.Error}
}

func (m *Model) onUnreachable(ev call.Event) {
	n := &m.notices
	n.offline = ev.Error
	next := ""
	if !ev.Retry.IsZero() {
		next = "next try " + ev.Retry.Format("15:04:05")
	}
	where := "the server"
	if m.cfg.Server != "" {
		where = m.cfg.Server
	}
	m.status = home.Status{Text: "can't reach the server", Err: true, Detail: where + ": " + ev.Error + "\nretrying · " + next}
	if c := m.cur; c != nil && c.outgoing && c.id == "" {
		// A dial made before the first failed attempt: say why now, not
		// after the dial's timeout.
		m.endCall(call.Event{Kind: call.EventError, Error: "the server cannot be reached (" + ev.Error + ")"})
		return
	}
	if n.lost || m.cur != nil {
		n.lost = true
		n.notice, n.until = "connection to the server lost — reconnecting, "+next, time.Time{}
	}
}

// onRejected handles the server refusing the number for good. Before it
// ever accepted it, the first-run form asks for another number, saying
// why; after (the number registered from elsewhere) the phone says so.
func (m *Model) onRejected(ev call.Event) {
	n := &m.notices
	// replaced comes only after a registration: the number is ours, and
	// the first-run form has nothing to ask.
	if n.registered || ev.Code == "replaced" {
		m.status = home.Status{Text: "stopped: " + rejectedWords(ev, m.c.FormatNumber(m.cfg.Number)), Err: true}
		return
	}
	n.rejected, n.saveNumber = true, ""
	m.status = home.Status{Text: "not registered"}
	next := "\nChoose another number."
	if strings.HasPrefix(ev.Code, "link-") || ev.Code == "device-limit" {
		next = "\nMake a new code on a device of the number (l, or dialtone link) and start again with --link CODE."
	}
	m.setup.SetError(rejectedWords(ev, m.c.FormatNumber(m.cfg.Number)) + next)
	m.screen = ScreenSetup
}

// rejectedCodes are the server's codes for a registration it will not take.
var rejectedCodes = map[string]bool{"auth-failed": true, "invite-required": true, "invite-invalid": true, "bad-number": true,
	"link-invalid": true, "link-expired": true, "link-used": true, "link-wrong-number": true, "link-limited": true,
	"link-unconfirmed": true, "device-limit": true, "unlinked": true, "replaced": true}

func rejectedWords(ev call.Event, num string) string {
	switch ev.Code {
	case "replaced":
		// Restarting is the way back: a key to take the number back here
		// would only push the other one off, which then says the same.
		return "this device connected again elsewhere (the same keys started twice). Quit the other one, or quit here and start again to take " + num + " back."
	case "auth-failed":
		// Servers that predate replaced send only this, with these words.
		if strings.HasSuffix(ev.Error, "this number registered on another connection") {
			return num + " registered with this key elsewhere."
		}
		return num + " belongs to another key on this server."
	case "invite-required":
		return "This server registers new numbers by invitation (start with --invite CODE)."
	case "invite-invalid":
		return "The invite code is not valid for " + num + "."
	case "bad-number":
		return "The server will not register " + num + "."
	case "link-invalid":
		return "There is no such link code for " + num + "."
	case "link-expired":
		return "The link code has expired (codes last five minutes)."
	case "link-used":
		return "The link code was used already."
	case "link-wrong-number":
		return "The link code is for another number than " + num + "."
	case "link-limited":
		return "Too many link attempts for " + num + "; wait a minute."
	case "link-unconfirmed":
		return "The device that made the link code did not confirm this one (is it still connected?)."
	case "device-limit":
		return num + " has as many devices as it may; unlink one first."
	case "unlinked":
		return "This device was unlinked from " + num + "."
	}
	return ev.Error
}
