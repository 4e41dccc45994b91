package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/tui/book"
)

// TestStatusLineOneLine: at 40 columns, muted, with leases and stats, the
// status line is one line that starts with the mute and camera state, and
// the video keeps its rows when the first stats arrive.
func TestStatusLineOneLine(t *testing.T) {
	d := newDriver(t, Config{})
	d.send(tea.WindowSizeMsg{Width: 40, Height: 12})
	d.dial("+12025550101")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1", LocalLease: "127.77.0.1:40000", RemoteLease: "127.77.0.2:40002", Media: "relay"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	d.key("m", "v")
	d.waitCall("camera off")
	before := d.m.incall.Layout(40, 12, 2, d.m.inCallInfo())
	d.event(call.Event{Kind: call.EventStats, Call: "c1", Stats: &call.Stats{
		Video: call.VideoStats{Kbps: 400}, Send: call.SendStats{VideoKbps: 380, AudioKbps: 32},
		Network: call.NetworkStats{RTTMs: 12, LossPct: 0.4}}})
	d.waitFor("stats", func() bool { return d.m.cur.stats != nil })
	v := d.m.Content()
	checkSize(t, v, 40, 12)
	lines := strings.Split(ansi.Strip(v), "\n")
	if status := lines[len(lines)-2]; !strings.HasPrefix(status, " mic muted · camera off · ● ") {
		t.Errorf("status line %q does not start with the mute and camera state", status)
	}
	if rows := strings.Count(ansi.Strip(d.m.incall.Remote.View()), "\n") + 1; rows != before {
		t.Errorf("the video has %d rows after the stats came, %d before", rows, before)
	}
	if strings.Contains(ansi.Strip(v), "127.77.0.1") {
		t.Errorf("leases on the in-call screen without the overlay:\n%s", ansi.Strip(v))
	}
}

// TestSetupFormStill: the first-run form does not move, sideways or up,
// when its error appears.
func TestSetupFormStill(t *testing.T) {
	for _, in := range []string{"+1 555", "600", "+1 000 000 0000 0000 0000"} {
		d := newDriver(t, Config{Number: "-"})
		d.typeText(in)
		at := func() (row, col int) {
			for row, l := range strings.Split(ansi.Strip(d.m.Content()), "\n") {
				if i := strings.Index(l, "╭"); i >= 0 {
					return row, ansi.StringWidth(l[:i])
				}
			}
			return -1, -1
		}
		row, col := at()
		before := ansi.Strip(d.m.Content())
		d.key("enter")
		after := ansi.Strip(d.m.Content())
		if after == before {
			t.Fatalf("%q: no error", in)
		}
		if r, c := at(); r != row || c != col {
			t.Errorf("%q: the field moved from %d,%d to %d,%d when the error appeared:\n%s", in, row, col, r, c, after)
		}
	}
}

// TestRecentFitsAt80: at 80 columns the recent list's last column is whole.
func TestRecentFitsAt80(t *testing.T) {
	b := sampleBook()
	b.Add(book.Record{Number: "+12025550188", Direction: book.Missed, At: t0})
	d := newDriver(t, Config{Book: b})
	v := ansi.Strip(d.m.Content())
	if !strings.Contains(v, "just now") {
		t.Errorf("\"just now\" cut at 80 columns:\n%s", v)
	}
	checkSize(t, d.m.Content(), 80, 24)
}

// TestContactFormStill: the contact form does not move sideways when its
// error appears (a long reason wraps under the fields, at their width).
func TestContactFormStill(t *testing.T) {
	for _, in := range []string{"555", "+1 555"} {
		d := newDriver(t, Config{})
		d.key("n")
		d.waitFor("form", func() bool { return d.m.Screen() == ScreenContact })
		d.typeText("Bob")
		d.key("tab")
		d.typeText(in)
		col := func() int {
			for _, l := range strings.Split(ansi.Strip(d.m.Content()), "\n") {
				if i := strings.Index(l, "╭"); i >= 0 {
					return ansi.StringWidth(l[:i])
				}
			}
			return -1
		}
		before, was := ansi.Strip(d.m.Content()), col()
		d.key("enter")
		after := ansi.Strip(d.m.Content())
		if after == before {
			t.Fatalf("%q: no error", in)
		}
		if c := col(); c != was {
			t.Errorf("%q: the fields moved from column %d to %d when the error appeared:\n%s", in, was, c, after)
		}
	}
}

// TestRecentResultsWhole: every outcome a recent call can have is a whole
// word at 80 columns, not an event name cut short ("unavaila…").
func TestRecentResultsWhole(t *testing.T) {
	for _, kind := range []call.EventKind{call.EventRefused, call.EventUnavailable, call.EventBusy, call.EventNoAnswer, call.EventCancelled, call.EventError} {
		b := &book.Book{}
		b.Add(book.Record{Number: "+12025550188", Direction: book.Outgoing, At: t0, Result: string(kind)})
		d := newDriver(t, Config{Book: b})
		v := ansi.Strip(d.m.Content())
		if strings.Contains(v, "…") || strings.Contains(v, "no-answer") {
			t.Errorf("%s: the outcome is cut or not a word:\n%s", kind, v)
		}
		checkSize(t, d.m.Content(), 80, 24)
	}
}

// TestInCallFullHelpNotTooSmall: at 40×12 the full help over a call takes
// the picture's room; the screen does not then claim the terminal is too
// small.
func TestInCallFullHelpNotTooSmall(t *testing.T) {
	d := newDriver(t, Config{})
	d.send(tea.WindowSizeMsg{Width: 40, Height: 12})
	inCall(d)
	d.key("?")
	v := ansi.Strip(d.m.Content())
	if strings.Contains(v, "too small") || !strings.Contains(v, "this help") {
		t.Errorf("the full help over a call:\n%s", v)
	}
	checkSize(t, d.m.Content(), 40, 12)
}
