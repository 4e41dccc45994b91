package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call"
)

// TestServerNotices: an unreachable server is named with the reason and
// the next try, and a dial is refused at once with it; in a call, losing
// the server says so at once, and its return is said too.
func TestServerNotices(t *testing.T) {
	d := newDriver(t, Config{Server: "ws://127.0.0.1:1/v1"})
	d.event(call.Event{Kind: call.EventRetrying, Error: "connection refused (is the server running?)",
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

	d.event(call.Event{Kind: call.EventRegistered, Number: "+12025550100", Services: []call.Service{{Code: "600", Name: "echo test"}}})
	d.waitFor("online", func() bool { return d.m.status.OK })
	d.dial("600")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	d.event(call.Event{Kind: call.EventDisconnected, Error: "reading: EOF"})
	d.waitFor("lost", func() bool { return strings.Contains(d.m.Content(), "connection to the server lost — reconnecting") })
	d.event(call.Event{Kind: call.EventRegistered, Number: "+12025550100", Services: []call.Service{{Code: "600", Name: "echo test"}}})
	d.waitFor("back", func() bool { return strings.Contains(d.m.Content(), "connection to the server is back") })
	d.now = d.now.Add(noticeFor + time.Second)
	if strings.Contains(d.m.Content(), "connection to the server") {
		t.Errorf("the notice outstays its time:\n%s", ansi.Strip(d.m.Content()))
	}
}

// TestReplacedSaysSo: a phone whose device key registered again elsewhere
// (dialtone linked with its data) stops saying so, not that the number
// belongs to another key, in a status line that fits.
func TestReplacedSaysSo(t *testing.T) {
	d := newDriver(t, Config{Region: "US"})
	d.event(call.Event{Kind: call.EventError, Code: "auth-failed",
		Error: "registration rejected: auth-failed: this number registered on another connection"})
	d.waitFor("stopped", func() bool { return d.m.status.Err })
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "registered with this key elsewhere") || strings.Contains(v, "belongs to another key") {
		t.Errorf("the status line does not say the phone was replaced:\n%s", v)
	}
	checkSize(t, d.m.Content(), 80, 24)
	// A status longer than the line is cut at its edge.
	d.send(tea.WindowSizeMsg{Width: 40, Height: 12})
	checkSize(t, d.m.Content(), 40, 12)
}

// TestReplacedCodeSaysSo: the server's replaced code stops the phone with
// plain words and the way out, even before the phone saw registered, and
// never sends it to the first-run form.
func TestReplacedCodeSaysSo(t *testing.T) {
	d := newDriver(t, Config{Region: "US"})
	d.event(call.Event{Kind: call.EventError, Code: "replaced",
		Error: "session replaced: this device connected again elsewhere; this connection was replaced"})
	d.waitFor("stopped", func() bool { return d.m.status.Err })
	if d.m.Screen() == ScreenSetup {
		t.Fatal("a replaced phone shows the first-run form")
	}
	d.send(tea.WindowSizeMsg{Width: 200, Height: 24})
	v := ansi.Strip(d.m.Content())
	for _, want := range []string{"stopped: this device connected again elsewhere", "Quit the other one", "start again to take"} {
		if !strings.Contains(v, want) {
			t.Errorf("the status line lacks %q:\n%s", want, v)
		}
	}
	checkSize(t, d.m.Content(), 200, 24)
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	checkSize(t, d.m.Content(), 80, 24)
}

// TestDevicesShown: the home screen names the devices in use and those
// missing, with the flags to try the phone without them.
func TestDevicesShown(t *testing.T) {
	d := newDriver(t, Config{Devices: []Device{
		{Kind: "camera", Missing: "none found"}, {Kind: "mic", Name: "default", Missing: "no default input device"},
		{Kind: "speaker", Name: "default"}}})
	golden(t, "home_devices_80x24", d.m.Content())
	got := ansi.Strip(d.m.Content())
	for _, want := range []string{"no camera (none found) · no mic (no default input device) · speaker default",
		"--camera test --mic tone"} {
		if !strings.Contains(got, want) {
			t.Errorf("home lacks %q:\n%s", want, got)
		}
	}
	d = newDriver(t, Config{Devices: []Device{{Kind: "camera", Name: "test pattern"}, {Kind: "mic", Name: "test tone"}, {Kind: "speaker", Off: true}}})
	if got := ansi.Strip(d.m.Content()); !strings.Contains(got, "camera test pattern · mic test tone · speaker off") ||
		strings.Contains(got, "--camera test") {
		t.Errorf("home with every device:\n%s", got)
	}
}

// TestPeerCameraAndStall: the other side's camera going off replaces its
// last picture with "their camera is off"; pictures that stop although it is on
// show as stalled; a new picture clears either.
func TestPeerCameraAndStall(t *testing.T) {
	d, remote := echoWithPicture(t, 100)
	d.event(call.Event{Kind: call.EventPeerCamera, Call: "c1", Camera: "off"})
	d.waitFor("camera off", func() bool { return strings.Contains(ansi.Strip(d.m.Content()), "their camera is off") })
	d.now = d.now.Add(10 * time.Second)
	if got := ansi.Strip(d.m.Content()); strings.Contains(got, "stalled") {
		t.Errorf("a camera that is off shows as stalled:\n%s", got)
	}
	d.event(call.Event{Kind: call.EventPeerCamera, Call: "c1", Camera: "on"})
	remote.WriteFrame(gradient(64, 48))
	seq := d.m.remoteSeq
	d.waitFor("the picture back", func() bool {
		return d.m.remoteSeq != seq && !strings.Contains(ansi.Strip(d.m.Content()), "their camera is off")
	})
	d.now = d.now.Add(stallAfter + time.Second)
	if got := ansi.Strip(d.m.Content()); !strings.Contains(got, "video stalled — no picture for 3 s") {
		t.Errorf("a stalled picture is left up as if live:\n%s", got)
	}
	remote.WriteFrame(gradient(64, 48))
	seq = d.m.remoteSeq
	d.waitFor("fresh picture", func() bool { return d.m.remoteSeq != seq && !strings.Contains(ansi.Strip(d.m.Content()), "stalled") })
}

// TestDialBeforeUnreachable: a dial made before the engine knew the server
// was unreachable ends at the first failed attempt, saying why; if the dial
// goes through later after all, it is hung up, not left ringing with
// nobody on this end.
func TestDialBeforeUnreachable(t *testing.T) {
	d := newDriver(t, Config{})
	block := make(chan struct{})
	d.phone.dialBlock = block
	d.typeText("+12025550188")
	d.key("enter")
	d.waitCall("dial +12025550188")
	d.event(call.Event{Kind: call.EventRetrying, Error: "connection refused"})
	d.waitFor("summary", func() bool { return d.m.Screen() == ScreenSummary })
	if got := ansi.Strip(d.m.Content()); !strings.Contains(got, "the server cannot be reached (connection refused)") {
		t.Errorf("summary:\n%s", got)
	}
	close(block) // the dial returns c1 after all
	d.waitCall("hangup c1")
}

// TestDialRefusedSaysWhy: the reason a dial is refused is on screen whole,
// wrapped, at 80×24 and 40×12, not cut at the edge.
func TestDialRefusedSaysWhy(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {40, 12}} {
		d := newDriver(t, Config{Server: "ws://127.0.0.1:1/v1"})
		d.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		d.event(call.Event{Kind: call.EventRetrying, Error: "connection refused (is the server running?)",
			Retry: d.now.Add(3 * time.Second)})
		d.waitFor("offline", func() bool { return d.m.notices.offline != "" })
		d.typeText("600")
		d.key("enter")
		d.waitFor("the dial refused", func() bool { return strings.Contains(ansi.Strip(d.m.Content()), "can't call now") })
		v := ansi.Strip(d.m.Content())
		if rows := strings.Count(v, "\n") + 1; rows != size[1] {
			t.Errorf("%dx%d: view is %d rows:\n%s", size[0], size[1], rows, v)
		}
		for _, l := range strings.Split(v, "\n") {
			if ansi.StringWidth(l) > size[0] {
				t.Errorf("%dx%d: a row %d wide (the terminal cuts it): %q", size[0], size[1], ansi.StringWidth(l), l)
			}
		}
		if flat := strings.Join(strings.Fields(v), " "); !strings.Contains(flat, "connection refused (is the server running?)") {
			t.Errorf("%dx%d: the reason is not whole on screen:\n%s", size[0], size[1], v)
		}
	}
}

// TestEchoWithCameraOff: in the echo test, one's own camera off is why no
// picture comes back; the screen says that, not "video stalled".
func TestEchoWithCameraOff(t *testing.T) {
	d, _ := echoWithPicture(t, 100)
	d.key("v")
	d.waitCall("camera off")
	d.now = d.now.Add(10 * time.Second)
	got := ansi.Strip(d.m.Content())
	if strings.Contains(got, "stalled") || !strings.Contains(got, "your camera is off") {
		t.Errorf("the echo test with the camera off does not say why no picture comes:\n%s", got)
	}
	d.key("v")
	d.waitCall("camera on")
	if got := ansi.Strip(d.m.Content()); strings.Contains(got, "your camera is off") {
		t.Errorf("the camera is on again, the notice stays:\n%s", got)
	}
}

// TestEchoWithoutCamera: with no camera at all, the echo test has nothing
// to send back; the screen says so and how to try without one, not "video
// stalled" once the last picture is old.
func TestEchoWithoutCamera(t *testing.T) {
	d, _ := echoWithPicture(t, 120)
	d.event(call.Event{Kind: call.EventStats, Call: "c1", Stats: &call.Stats{
		Audio: call.AudioStats{FramesDecoded: 50, Kbps: 32}, Send: call.SendStats{AudioKbps: 32, CameraOn: false},
	}})
	d.waitFor("stats", func() bool { return d.m.cur.stats != nil })
	d.now = d.now.Add(10 * time.Second)
	got := strings.Join(strings.Fields(ansi.Strip(d.m.Content())), " ")
	if strings.Contains(got, "stalled") || !strings.Contains(got, "no camera here") || !strings.Contains(got, "--camera test") {
		t.Errorf("the echo test without a camera does not say why no picture comes:\n%s", got)
	}
}

// TestServerRefusalInWords: a dial the server refuses shows the server's
// words, not its code ("server: self: …").
func TestServerRefusalInWords(t *testing.T) {
	for _, tt := range []struct{ err, want string }{
		{"server: self: that is your own number", "that is your own number"},
		{"dial: server: dial-limited: too many calls at once; try again in a minute", "too many calls at once; try again in a minute"},
		{"context deadline exceeded", "the server did not answer in time"},
		{"connection refused", "connection refused"},
	} {
		if got := errorWords(tt.err); got != tt.want {
			t.Errorf("errorWords(%q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestTypingOnTheSummaryDials: digits typed on an ended call's card start
// the next number instead of vanishing; enter then dials it.
func TestTypingOnTheSummaryDials(t *testing.T) {
	d := newDriver(t, Config{})
	d.dial("+12025550101")
	d.event(call.Event{Kind: call.EventCancelled, Call: "c1"})
	d.waitFor("summary", func() bool { return d.m.Screen() == ScreenSummary })
	d.typeText("600")
	if d.m.Screen() != ScreenHome {
		t.Fatalf("screen %d after typing on the summary, want home", d.m.Screen())
	}
	d.key("enter")
	d.waitCall("dial 600")
}

// echoWithPicture is an echo call, connected, at width×40, whose first
// picture has been shown, and the mailbox its pictures come through.
func echoWithPicture(t *testing.T, width int) (*driver, *Mailbox) {
	t.Helper()
	remote := &Mailbox{}
	d := newDriver(t, Config{Remote: remote, FPS: 120})
	d.send(tea.WindowSizeMsg{Width: width, Height: 40})
	d.dial("600")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	d.event(call.Event{Kind: call.EventConnected, Call: "c1"})
	remote.WriteFrame(gradient(64, 48))
	d.waitFor("frame", func() bool { return d.m.remoteSeq != 0 })
	return d, remote
}
