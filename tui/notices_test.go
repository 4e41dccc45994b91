package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call"
)

// TestServerNotices: an unreachable server is named with the reason and
// the next try, and a dial is refused at once with it; in a call, losing
// the server says so at once, and its return is said too.
func TestServerNotices(t *testing.T) {
	d := newDriver(t, Config{Server: "ws://127.0.0.1:1/v1"})
	d.event(call.Event{Kind: call.EventUnreachable, Error: "connection refused (is the server running?)",
		Retry: d.now.Add(3 * time.Second)})
	d.waitFor("offline", func() bool { return d.m.notices.offline != "" })
	golden(t, "home_unreachable_80x24", d.m.Content())
	got := ansi.Strip(d.m.Content())
	for _, want := range []string{"can't reach the server", "ws://127.0.0.1:1/v1: connection refused", "next try 10:00:03"} {
		if !strings.Contains(got, want) {
			t.Errorf("home lacks %q:\n%s", want, got)
		}
	}
	d.typeText("600")
	d.key("enter")
	d.waitFor("the dial refused", func() bool { return strings.Contains(ansi.Strip(d.m.Content()), "can't call now") })
	if got := ansi.Strip(d.m.Content()); d.m.Screen() != ScreenHome || !strings.Contains(got, "the server cannot be reached (connection refused") {
		t.Errorf("the dial was not refused at once with the reason (screen %d):\n%s", d.m.Screen(), got)
	}
	d.key("backspace", "backspace", "backspace")

	d.event(call.Event{Kind: call.EventRegistered, Number: "+12025550100"})
	d.waitFor("online", func() bool { return d.m.status.OK })
	d.dial("600")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	d.event(call.Event{Kind: call.EventDisconnected, Error: "reading: EOF"})
	d.waitFor("lost", func() bool { return strings.Contains(d.m.Content(), "connection to the server lost — reconnecting") })
	d.event(call.Event{Kind: call.EventRegistered, Number: "+12025550100"})
	d.waitFor("back", func() bool { return strings.Contains(d.m.Content(), "connection to the server is back") })
	d.now = d.now.Add(noticeFor + time.Second)
	if strings.Contains(d.m.Content(), "connection to the server") {
		t.Errorf("the notice outstays its time:\n%s", ansi.Strip(d.m.Content()))
	}
}
