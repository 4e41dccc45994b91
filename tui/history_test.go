package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/tui/book"
)

// TestMissedOnceAfterRestart: a call that rang here and was given up is a
// missed call; when the server delivers its own copy (after a restart),
// the history still shows it once, and the server's other missed calls go
// where their time puts them.
func TestMissedOnceAfterRestart(t *testing.T) {
	d := newDriver(t, Config{Book: sampleBook()})
	d.now = t0.Add(time.Minute)
	d.event(call.Event{Kind: call.EventIncoming, Call: "in2", Peer: "+12025550102"})
	d.waitFor("dialog", func() bool { return d.m.ringing != nil })
	d.event(call.Event{Kind: call.EventCancelled, Call: "in2"})
	d.waitFor("missed", func() bool { return d.m.ringing == nil })

	d.event(call.Event{Kind: call.EventMissed, Missed: []call.Missed{
		{From: "+12025550103", At: t0.Add(-time.Hour), Call: "in3"},
		{From: "+12025550102", At: t0.Add(time.Minute), Call: "in2"},
	}})
	d.waitFor("the server's missed calls", func() bool { return len(d.m.c.Book.History) > 4 })
	var got []string
	for _, r := range d.m.c.Book.History {
		got = append(got, r.Number)
	}
	want := "+12025550102 +12025550101 +12025550103 +12025550199 600"
	if strings.Join(got, " ") != want {
		t.Errorf("history %v, want %s", got, want)
	}
}

// TestNewContactFromRecent: n on a recent call starts a contact with its
// number.
func TestNewContactFromRecent(t *testing.T) {
	d := newDriver(t, Config{Book: sampleBook()})
	d.key("down", "down", "down", "down") // Alice, Bob, then the recent calls: Alice, the missed one
	if h := d.m.c.Book.History[1]; h.Direction != book.Missed {
		t.Fatalf("history %+v", d.m.c.Book.History)
	}
	d.key("n")
	d.waitFor("form", func() bool { return d.m.Screen() == ScreenContact })
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "(202) 555-0199") {
		t.Errorf("the form is not filled with the recent call's number:\n%s", v)
	}
	d.typeText("Dora")
	d.key("enter")
	d.waitFor("saved", func() bool { ct, ok := d.m.c.Book.Lookup("+12025550199"); return ok && ct.Name == "Dora" })
}
