package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/tui/book"
)

func TestLinkScreen(t *testing.T) {
	d := newDriver(t, Config{Region: "US", Book: sampleBook()})
	d.key("l")
	d.waitFor("the link screen", func() bool { return d.m.Screen() == ScreenLink })
	d.waitCall("link")
	d.waitFor("the code", func() bool { return d.m.link.code != "" })
	d.waitFor("the devices", func() bool { return len(d.m.link.devices) == 2 })
	golden(t, "link_80x24", d.m.Content())
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "devices: desk (this) · phone (online)") {
		t.Errorf("the link screen does not list the devices:\n%s", v)
	}
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "dialtone --number +12025550100 --link 7K3M-Q9ZD-X2AB-PH4T") ||
		!strings.Contains(v, "for 5:00") || strings.Count(v, "█") < 50 {
		t.Fatalf("the link screen lacks the command, the time left or the QR code:\n%s", v)
	}
	d.now = d.now.Add(5*time.Minute + time.Second)
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "expired") {
		t.Errorf("an expired code is not said to be:\n%s", v)
	}
	d.event(call.Event{Kind: call.EventLinked, Device: "laptop"})
	d.waitFor("linked", func() bool { return len(d.m.link.joined) == 1 })
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "linked laptop") {
		t.Errorf("the joined device is not shown:\n%s", v)
	}
	d.key("esc")
	if d.m.Screen() != ScreenHome || !strings.Contains(ansi.Strip(d.m.Content()), "linked laptop to this number") {
		t.Errorf("home after linking:\n%s", ansi.Strip(d.m.Content()))
	}
	// A small terminal shows the code without the picture.
	d.send(tea.WindowSizeMsg{Width: 40, Height: 12})
	d.key("l")
	d.waitFor("the code again", func() bool { return d.m.link.code != "" && d.m.Screen() == ScreenLink })
	if v := ansi.Strip(d.m.Content()); strings.Contains(v, "█▀") || !strings.Contains(v, "7K3M-Q9ZD-X2AB-PH4T") {
		t.Errorf("the small link screen:\n%s", v)
	}
}

// The phone hears of a device that joined when it signs for it, before the
// server has stored it: a list asked for then lacks it, and the screen asks
// again on its next tick.
func TestLinkScreenListsTheJoinedDevice(t *testing.T) {
	d := newDriver(t, Config{Region: "US", Book: sampleBook()})
	d.key("l")
	d.waitFor("the code", func() bool { return d.m.link.code != "" })
	d.waitFor("the devices", func() bool { return len(d.m.link.devices) == 2 && !d.m.link.listing })
	d.event(call.Event{Kind: call.EventLinked, Device: "laptop"})
	d.waitFor("the list asked for on linking", func() bool { return len(d.m.link.joined) == 1 && !d.m.link.listing })
	if v := ansi.Strip(d.m.Content()); strings.Contains(v, "laptop (online)") {
		t.Fatalf("the stale list has the laptop:\n%s", v)
	}
	d.phone.mu.Lock()
	d.phone.devices = []call.Device{{Name: "desk", This: true}, {Name: "phone", Online: true, By: "desk"}, {Name: "laptop", Online: true, By: "desk"}}
	d.phone.mu.Unlock()
	d.send(linkTickMsg{gen: d.m.link.gen})
	d.waitFor("the laptop listed", func() bool { return len(d.m.link.devices) == 3 })
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "laptop (online)") {
		t.Errorf("the link screen does not list the joined device:\n%s", v)
	}
}

// A call answered on another device of the number is no missed call; the
// home page says where it went.
func TestAnsweredElsewhere(t *testing.T) {
	d := newDriver(t, Config{Region: "US", Book: &book.Book{}})
	d.event(call.Event{Kind: call.EventIncoming, Call: "c9", Peer: "+12025550101"})
	d.waitFor("ringing", func() bool { return d.m.ringing != nil })
	d.event(call.Event{Kind: call.EventCancelled, Call: "c9", Peer: "+12025550101", Reason: "answered-elsewhere", Device: "laptop"})
	d.waitFor("stopped ringing", func() bool { return d.m.ringing == nil })
	if len(d.m.c.Book.History) != 0 {
		t.Errorf("a call answered elsewhere went into the history as %+v", d.m.c.Book.History)
	}
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "answered on laptop") {
		t.Errorf("home does not say where the call was answered:\n%s", v)
	}
}

// The note that a call was answered elsewhere replaces an older error on
// the home page, rather than hiding under it.
func TestAnsweredElsewhereAfterAnError(t *testing.T) {
	d := newDriver(t, Config{Region: "US", Book: &book.Book{}})
	d.event(call.Event{Kind: call.EventError, Error: "the server cannot be reached"})
	d.waitFor("error shown", func() bool { return strings.Contains(ansi.Strip(d.m.Content()), "cannot be reached") })
	d.event(call.Event{Kind: call.EventIncoming, Call: "c9", Peer: "+12025550101"})
	d.waitFor("ringing", func() bool { return d.m.ringing != nil })
	d.event(call.Event{Kind: call.EventCancelled, Call: "c9", Peer: "+12025550101", Reason: "answered-elsewhere", Device: "laptop"})
	d.waitFor("stopped ringing", func() bool { return d.m.ringing == nil })
	v := ansi.Strip(d.m.Content())
	if !strings.Contains(v, "answered on laptop") || strings.Contains(v, "cannot be reached") {
		t.Errorf("home does not show the latest: where the call was answered:\n%s", v)
	}
}

// A link code the server refuses says why and what to do, not "choose
// another number".
func TestLinkCodeRefused(t *testing.T) {
	d := newDriver(t, Config{Number: "-"})
	d.typeText("+1 202 555 0100")
	d.key("enter")
	d.waitFor("connected", func() bool { return d.m.phone != nil })
	d.event(call.Event{Kind: call.EventError, Code: "link-used", Error: "registration rejected: link-used: the link code was used already"})
	d.waitFor("the form again", func() bool { return d.m.Screen() == ScreenSetup })
	if got := ansi.Strip(d.m.Content()); !strings.Contains(got, "The link code was used already.") ||
		!strings.Contains(got, "--link CODE") || strings.Contains(got, "Choose another number") {
		t.Errorf("the form after a used link code:\n%s", got)
	}
}
