package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call"
)

// TestInCallKeypad: keys typed in a call go to the engine as tones and
// show; the other side's show on their own line; neither dials, mutes or
// does anything else.
func TestInCallKeypad(t *testing.T) {
	d := newDriver(t, Config{Region: "US", Book: sampleBook()})
	d.dial("+1 202 555 0101")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1", LocalLease: "127.77.0.1:40000", RemoteLease: "127.77.0.2:40002", Media: "relay"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	d.key("7") // connecting: no stream to carry it yet
	d.event(call.Event{Kind: call.EventConnected, Call: "c1"})
	d.waitFor("connected", func() bool { return d.m.cur.connected })
	if v := ansi.Strip(d.m.Content()); strings.Contains(v, "keys") {
		t.Fatalf("a keys line before any key:\n%s", v)
	}
	// Typed faster than the engine takes them, the keys still go in order.
	d.key("1", "#", "*", "A", "0")
	d.waitFor("all the keys sent", func() bool {
		var sent string
		for _, c := range d.phone.Calls() {
			if k, ok := strings.CutPrefix(c, "tones c1 "); ok {
				sent += k
			}
		}
		return sent == "1#*A0"
	})
	d.event(call.Event{Kind: call.EventTone, Call: "other", Digit: "9"}) // not this call's
	d.event(call.Event{Kind: call.EventTone, Call: "c1", Digit: "5"})
	d.event(call.Event{Kind: call.EventTone, Call: "c1", Digit: "#"})
	d.waitFor("the other side's keys", func() bool { return d.m.cur.keysHeard == "5#" })
	v := ansi.Strip(d.m.Content())
	if !strings.Contains(v, " keys sent: 1#*A0 · keys from the other side: 5#\n") {
		t.Errorf("the in-call view lacks the keys line:\n%s", v)
	}
	for _, c := range d.phone.Calls() {
		if c == "tones c1 7" {
			t.Error("a key sent before the media connected")
		}
		if c == "mute" || strings.HasPrefix(c, "camera") || strings.HasPrefix(c, "hangup") {
			t.Errorf("a keypad key did %q", c)
		}
	}
	golden(t, "incall_keys_80x24", d.m.Content())
	d.key("?")
	golden(t, "help_incall_keys_80x24", d.m.Content())
}
