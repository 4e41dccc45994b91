package tui

import (
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/tui/book"
	"github.com/dialtone/dialtone/tui/components/videopane"
)

func sampleBook() *book.Book {
	return &book.Book{
		Contacts: []book.Contact{{Name: "Alice", Number: "+12025550101"}, {Name: "Bob", Number: "+442079460000"}},
		History: []book.Record{
			{Number: "+12025550101", Direction: book.Outgoing, At: t0.Add(-5 * time.Minute), Duration: 65 * time.Second, Result: "ended"},
			{Number: "+12025550199", Direction: book.Missed, At: t0.Add(-2 * time.Hour)},
			{Number: "600", Direction: book.Outgoing, At: t0.Add(-26 * time.Hour), Duration: 12 * time.Second, Result: "ended"},
		},
	}
}

// TestOutgoingCall drives a call from the home screen to the summary.
func TestOutgoingCall(t *testing.T) {
	d := newDriver(t, Config{Region: "US", Book: sampleBook()})
	d.typeText("600")
	d.key("enter")
	d.waitFor("outgoing", func() bool { return d.m.Screen() == ScreenOutgoing })
	d.waitCall("dial 600")
	d.event(call.Event{Kind: call.EventRinging, Call: "c1", Peer: "600"})
	d.waitFor("ringing", func() bool { return d.m.cur != nil && d.m.cur.ringing })
	d.now = d.now.Add(3 * time.Second)
	golden(t, "outgoing_80x24", d.m.Content())

	d.event(call.Event{Kind: call.EventAccepted, Call: "c1", LocalLease: "127.77.0.1:40000", RemoteLease: "127.77.0.2:40002", Media: "relay"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	// The leases are network detail: in the stats overlay, not the status line.
	if v := ansi.Strip(d.m.Content()); strings.Contains(v, "127.77.0.1:40000") {
		t.Errorf("the status line shows the leases:\n%s", v)
	}
	d.key("s")
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "127.77.0.1:40000 → 127.77.0.2:40002  (relay)") {
		t.Errorf("the stats overlay lacks the leases and path:\n%s", v)
	}
	d.key("s")
	if v := helpBar(d.m.Content()); !strings.Contains(v, "m mute") || !strings.Contains(v, "v camera off") {
		t.Errorf("help bar before muting: %q", v)
	}

	d.key("m", "v")
	d.waitCall("mute")
	d.waitCall("camera off")
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "mic muted") || !strings.Contains(v, "camera off") {
		t.Errorf("mute and camera state not shown:\n%s", v)
	}
	// The help says what the keys do now.
	if v := helpBar(d.m.Content()); !strings.Contains(v, "m unmute") || !strings.Contains(v, "v camera on") {
		t.Errorf("help bar after muting and turning the camera off: %q", v)
	}

	d.key("h")
	d.waitCall("hangup c1")
	d.now = d.now.Add(42 * time.Second)
	d.event(call.Event{Kind: call.EventEnded, Call: "c1", Reason: "hung up"})
	d.waitFor("summary", func() bool { return d.m.Screen() == ScreenSummary })
	if h := d.m.c.Book.History[0]; h.Number != "600" || h.Direction != book.Outgoing || h.Duration != 42*time.Second {
		t.Errorf("history head %+v", h)
	}
	d.key("enter")
	if d.m.Screen() != ScreenHome {
		t.Errorf("screen %d after the summary, want home", d.m.Screen())
	}
}

func TestCancelWhileRinging(t *testing.T) {
	d := newDriver(t, Config{})
	d.typeText("+1 202 555 0101")
	d.key("enter")
	d.waitCall("dial +12025550101")
	d.waitFor("the dial's ID", func() bool { return d.m.cur.id == "c1" })
	d.key("esc")
	d.waitCall("hangup c1")
	d.event(call.Event{Kind: call.EventCancelled, Call: "c1"})
	d.waitFor("summary", func() bool { return d.m.Screen() == ScreenSummary })
	if got := ansi.Strip(d.m.Content()); !strings.Contains(got, "call cancelled") {
		t.Errorf("summary:\n%s", got)
	}
}

// TestFinalEvents checks every way a dialled call can fail ends on the
// summary with the right words: a headline, and what happened said for a
// person rather than as the protocol's code.
func TestFinalEvents(t *testing.T) {
	for _, tt := range []struct {
		ev             call.Event
		headline, says string
	}{
		{call.Event{Kind: call.EventRefused, Reason: "refused"}, "call refused", "echo test declined the call"},
		{call.Event{Kind: call.EventUnavailable, Reason: "offline"}, "not reachable", "echo test is not online"},
		{call.Event{Kind: call.EventUnavailable, Reason: "unknown"}, "not reachable", "no such number"},
		{call.Event{Kind: call.EventUnavailable, Reason: "because"}, "not reachable", "because"},
		{call.Event{Kind: call.EventBusy}, "busy", "echo test is busy"},
		{call.Event{Kind: call.EventNoAnswer}, "no answer", "no answer after 30 s"},
		{call.Event{Kind: call.EventError, Error: "context deadline exceeded"}, "call failed", "the server did not answer in time"},
		{call.Event{Kind: call.EventEnded, Reason: "media-failed", Error: "ice failed"}, "call ended", "the call's media could not connect"},
		{call.Event{Kind: call.EventEnded, Reason: "server-shutdown"}, "call ended", "the server shut down or restarted"},
		{call.Event{Kind: call.EventEnded, Reason: "hangup"}, "call ended", "echo test hung up"},
		{call.Event{Kind: call.EventEnded, Reason: "hangup", Local: true}, "call ended", "you hung up"},
		{call.Event{Kind: call.EventCancelled, Reason: "cancelled", Local: true}, "call cancelled", "you hung up before it was answered"},
	} {
		t.Run(string(tt.ev.Kind)+" "+tt.ev.Reason, func(t *testing.T) {
			d := newDriver(t, Config{})
			d.phone.nextID = "c9"
			d.dial("600")
			d.event(call.Event{Kind: call.EventDialing, Call: "c9", Peer: "600"})
			d.now = d.now.Add(30 * time.Second)
			ev := tt.ev
			ev.Call = "c9"
			d.event(ev)
			d.waitFor("summary", func() bool { return d.m.Screen() == ScreenSummary })
			if got := ansi.Strip(d.m.Content()); !strings.Contains(got, tt.headline) || !strings.Contains(got, tt.says) {
				t.Errorf("summary lacks %q and %q:\n%s", tt.headline, tt.says, got)
			}
		})
	}
}

func TestDialError(t *testing.T) {
	d := newDriver(t, Config{})
	d.phone.nextID, d.phone.dialErr = "", errors.New("no capacity") // as the engine: no call, no ID
	d.typeText("600")
	d.key("enter")
	d.waitFor("summary", func() bool { return d.m.Screen() == ScreenSummary })
	if got := ansi.Strip(d.m.Content()); !strings.Contains(got, "no capacity") {
		t.Errorf("summary:\n%s", got)
	}
}

func TestIncomingAccept(t *testing.T) {
	d := newDriver(t, Config{Book: sampleBook()})
	d.event(call.Event{Kind: call.EventIncoming, Call: "in1", Peer: "+12025550101"})
	d.waitFor("dialog", func() bool { return d.m.ringing != nil })
	d.waitFor("bell", func() bool { return d.bells == 1 })
	if !d.ringer.Ringing() {
		t.Error("ringtone not playing")
	}
	golden(t, "incoming_80x24", d.m.Content())
	d.key("a")
	d.waitCall("accept in1")
	if d.ringer.Ringing() || d.m.Screen() != ScreenInCall {
		t.Errorf("after accept: ringing %v, screen %d", d.ringer.Ringing(), d.m.Screen())
	}
	d.event(call.Event{Kind: call.EventAccepted, Call: "in1", LocalLease: "127.77.0.2:40002", RemoteLease: "127.77.0.1:40000", Media: "relay"})
	d.waitFor("leases", func() bool { return d.m.cur.local != "" })
	d.event(call.Event{Kind: call.EventEnded, Call: "in1"})
	d.waitFor("summary", func() bool { return d.m.Screen() == ScreenSummary })
	if h := d.m.c.Book.History[0]; h.Direction != book.Incoming || h.Number != "+12025550101" {
		t.Errorf("history head %+v", h)
	}
}

func TestIncomingRefuseAndMissed(t *testing.T) {
	d := newDriver(t, Config{})
	d.event(call.Event{Kind: call.EventIncoming, Call: "in1", Peer: "+12025550101"})
	d.waitFor("dialog", func() bool { return d.m.ringing != nil })
	d.key("r")
	d.waitCall("refuse in1")
	if d.m.ringing != nil || d.ringer.Ringing() {
		t.Error("dialog still up after refusing")
	}
	// A call the caller gives up on is a missed call.
	d.event(call.Event{Kind: call.EventIncoming, Call: "in2", Peer: "+12025550102"})
	d.waitFor("dialog", func() bool { return d.m.ringing != nil })
	d.event(call.Event{Kind: call.EventCancelled, Call: "in2"})
	d.waitFor("dialog closed", func() bool { return d.m.ringing == nil })
	if h := d.m.c.Book.History[0]; h.Direction != book.Missed || h.Number != "+12025550102" {
		t.Errorf("history head %+v", h)
	}
	// The dialog comes up over a form, and the form keeps what was typed.
	d.key("n")
	d.waitFor("form", func() bool { return d.m.Screen() == ScreenContact })
	d.typeText("Dan")
	d.event(call.Event{Kind: call.EventIncoming, Call: "in4", Peer: "+12025550104"})
	d.waitFor("dialog", func() bool { return d.m.ringing != nil })
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "incoming call") {
		t.Errorf("no dialog over the form:\n%s", v)
	}
	d.typeText("x")
	d.key("r")
	d.waitCall("refuse in4")
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "Dan▏") {
		t.Errorf("the form lost its text:\n%s", v)
	}
	d.key("esc")
	// Esc refuses too.
	d.event(call.Event{Kind: call.EventIncoming, Call: "in3", Peer: "+12025550103"})
	d.waitFor("dialog", func() bool { return d.m.ringing != nil })
	d.key("esc")
	d.waitCall("refuse in3")
}

// TestIncomingQueue: a second caller ringing while the dialog asks about
// the first is not turned away; it is asked about next, so one caller (say,
// someone redialling again and again) cannot keep the others out.
func TestIncomingQueue(t *testing.T) {
	d := newDriver(t, Config{})
	d.event(call.Event{Kind: call.EventIncoming, Call: "in1", Peer: "+12025550101"})
	d.waitFor("dialog", func() bool { return d.m.ringing != nil })
	d.event(call.Event{Kind: call.EventIncoming, Call: "in2", Peer: "+12025550102"})
	d.event(call.Event{Kind: call.EventIncoming, Call: "in3", Peer: "+12025550103"})
	d.waitFor("queued", func() bool { return len(d.m.queued) == 2 })
	if d.m.ringing.id != "in1" {
		t.Errorf("the dialog asks about %s, not the first caller", d.m.ringing.id)
	}
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "+2 more calling") {
		t.Errorf("the dialog does not say two more are calling:\n%s", v)
	}
	checkSize(t, d.m.Content(), 80, 24)
	d.key("r")
	d.waitCall("refuse in1")
	d.waitFor("next dialog", func() bool { return d.m.ringing != nil && d.m.ringing.id == "in2" })
	if !d.ringer.Ringing() {
		t.Error("not ringing for the second caller")
	}
	// A queued caller who gives up leaves a missed call and the queue.
	d.event(call.Event{Kind: call.EventCancelled, Call: "in3"})
	d.waitFor("in3 gone", func() bool { return len(d.m.queued) == 0 })
	if h := d.m.c.Book.History[0]; h.Direction != book.Missed || h.Number != "+12025550103" {
		t.Errorf("history head %+v", h)
	}
	d.key("a")
	d.waitCall("accept in2")
	if d.m.cur == nil || d.m.cur.id != "in2" || d.m.ringing != nil {
		t.Errorf("after accepting: cur %+v, ringing %+v", d.m.cur, d.m.ringing)
	}
	for _, c := range d.phone.Calls() {
		if c == "refuse in2" || c == "refuse in3" {
			t.Errorf("the TUI turned a caller away: %v", d.phone.Calls())
		}
	}
}

func TestCallWaiting(t *testing.T) {
	d := newDriver(t, Config{})
	d.dial("600")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1", Media: "relay"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	d.event(call.Event{Kind: call.EventIncoming, Call: "in1", Peer: "+12025550102", Waiting: true})
	d.waitFor("dialog", func() bool { return d.m.ringing != nil })
	v := ansi.Strip(d.m.Content())
	if !strings.Contains(v, "call waiting") || !strings.Contains(v, "hang up") {
		t.Errorf("call waiting view:\n%s", v)
	}
	golden(t, "waiting_80x24", d.m.Content())
	checkSize(t, d.m.Content(), 80, 24)
	d.key("enter")
	d.waitCall("hangup c1")
	d.waitCall("accept in1")
	if d.m.cur == nil || d.m.cur.id != "in1" || d.m.Screen() != ScreenInCall {
		t.Errorf("not in the new call: %+v", d.m.cur)
	}
}

func TestQuitEndsCall(t *testing.T) {
	d := newDriver(t, Config{})
	d.dial("600")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	d.key("q")
	d.waitFor("quit", func() bool { return d.quit })
	d.waitCall("hangup c1")
}

// TestQuitWhileRinging: q on the incoming dialog (and with a call waiting)
// quits without refusing: leaving is not declining. The engine, stopping,
// lets the server end the rings unanswered; the call in progress is hung
// up as before.
func TestQuitWhileRinging(t *testing.T) {
	d := newDriver(t, Config{})
	d.event(call.Event{Kind: call.EventIncoming, Call: "in1", Peer: "+12025550111"})
	d.waitFor("the dialog", func() bool { return d.m.ringing != nil })
	d.key("q")
	d.waitFor("quit", func() bool { return d.quit })
	if !slices.Equal(d.phone.Calls(), nil) {
		t.Errorf("q on the incoming dialog asked the engine for %v, want nothing (not a refusal)", d.phone.Calls())
	}
	if d.ringer.Ringing() {
		t.Error("still ringing after q")
	}

	d = newDriver(t, Config{})
	d.dial("600")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	d.event(call.Event{Kind: call.EventIncoming, Call: "in2", Peer: "+12025550111", Waiting: true})
	d.waitFor("call waiting", func() bool { return d.m.ringing != nil })
	d.key("q")
	d.waitFor("quit", func() bool { return d.quit })
	d.waitCall("hangup c1")
	for _, c := range d.phone.Calls() {
		if strings.HasPrefix(c, "refuse") {
			t.Errorf("q with a call waiting refused it: %v", d.phone.Calls())
		}
	}
}

func TestQuitFromHome(t *testing.T) {
	d := newDriver(t, Config{})
	d.key("ctrl+c")
	d.waitFor("quit", func() bool { return d.quit })
}

func TestFirstRun(t *testing.T) {
	var saved atomic.Value
	var d *driver
	d = newDriver(t, Config{Number: "-", SaveNumber: func(n string) error { saved.Store(n); d.phone.poke(); return nil }})
	if d.m.Screen() != ScreenSetup {
		t.Fatalf("screen %d, want setup", d.m.Screen())
	}
	d.typeText("600")
	d.key("enter")
	if got := ansi.Strip(d.m.Content()); !strings.Contains(got, "600 is a service code") {
		t.Errorf("a service code was accepted as the user's number:\n%s", got)
	}
	d.key("backspace", "backspace", "backspace")
	d.typeText("+44 20 7946 000")
	golden(t, "setup_80x24", d.m.Content())
	d.typeText("0")
	d.key("enter")
	d.waitFor("connected", func() bool { return d.m.phone != nil })
	if d.m.Screen() != ScreenHome || d.m.cfg.Number != "+442079460000" {
		t.Errorf("screen %d number %q", d.m.Screen(), d.m.cfg.Number)
	}
	if saved.Load() != nil {
		t.Errorf("saved %v before the server accepted it", saved.Load())
	}
	d.event(call.Event{Kind: call.EventRegistered, Number: "+442079460000"})
	d.waitFor("saved", func() bool { return saved.Load() == "+442079460000" })
}

// TestFirstRunNumberRejected: a number the server will not register (it
// belongs to another key) sends the user back to the form, saying why, and
// is never saved; the next number, once accepted, is.
func TestFirstRunNumberRejected(t *testing.T) {
	var saved atomic.Value
	d := newDriver(t, Config{Number: "-", SaveNumber: func(n string) error { saved.Store(n); return nil }})
	d.typeText("+1 202 555 0100")
	d.key("enter")
	d.waitFor("connected", func() bool { return d.m.phone != nil })
	d.event(call.Event{Kind: call.EventError, Code: "auth-failed", Error: "this number is bound to another key"})
	d.waitFor("the form again", func() bool { return d.m.Screen() == ScreenSetup })
	if got := ansi.Strip(d.m.Content()); !strings.Contains(got, "(202) 555-0100 belongs to another key") ||
		!strings.Contains(got, "Choose another number") {
		t.Errorf("the form does not say why:\n%s", got)
	}
	close(d.phone.events) // the engine stops, as a rejected one does
	d.waitFor("engine gone", func() bool { return d.m.phone == nil })
	if saved.Load() != nil {
		t.Fatalf("the rejected number was saved: %v", saved.Load())
	}
	d.phone = newFakePhone()
	d.key("backspace", "backspace")
	d.typeText("77")
	d.key("enter")
	d.waitFor("connected again", func() bool { return d.m.phone != nil })
	d.event(call.Event{Kind: call.EventRegistered, Number: "+12025550177"})
	d.waitFor("saved", func() bool { return saved.Load() == "+12025550177" })
	if d.m.Screen() != ScreenHome || !d.m.status.OK {
		t.Errorf("screen %d status %+v", d.m.Screen(), d.m.status)
	}
}

// TestGivenNumberRemembered: a number the phone was started with but has
// not remembered (--number on the command line) is saved once the server
// accepts it, as the first-run form's is; a remembered one is not saved
// again.
func TestGivenNumberRemembered(t *testing.T) {
	var saved atomic.Value
	d := newDriverUnregistered(t, Config{Number: "+12025550100", RememberNumber: true,
		SaveNumber: func(n string) error { saved.Store(n); return nil }})
	d.waitFor("connected", func() bool { return d.m.phone != nil })
	if saved.Load() != nil {
		t.Fatalf("saved %v before the server accepted it", saved.Load())
	}
	d.event(call.Event{Kind: call.EventRegistered, Number: "+12025550100"})
	d.waitFor("saved", func() bool { return saved.Load() == "+12025550100" })

	var again atomic.Value
	d = newDriver(t, Config{Number: "+12025550100", SaveNumber: func(n string) error { again.Store(n); return nil }})
	d.event(call.Event{Kind: call.EventRegistered, Number: "+12025550100"}) // a reconnection
	d.waitFor("registered", func() bool { return d.m.status.OK })
	if again.Load() != nil {
		t.Errorf("a remembered number was saved again: %v", again.Load())
	}
}

// TestGivenNumberRejected: a number given on the command line that the
// server refuses is never saved (the config keeps the number it had); the
// first-run form asks for another, and that one is saved once accepted.
func TestGivenNumberRejected(t *testing.T) {
	var saved atomic.Value
	d := newDriverUnregistered(t, Config{Number: "+12025550100", RememberNumber: true,
		SaveNumber: func(n string) error { saved.Store(n); return nil }})
	d.waitFor("connected", func() bool { return d.m.phone != nil })
	d.event(call.Event{Kind: call.EventError, Code: "auth-failed", Error: "this number is bound to another key"})
	d.waitFor("the form", func() bool { return d.m.Screen() == ScreenSetup })
	close(d.phone.events)
	d.waitFor("engine gone", func() bool { return d.m.phone == nil })
	if saved.Load() != nil {
		t.Fatalf("the refused number was saved: %v", saved.Load())
	}
	if got := ansi.Strip(d.m.Content()); !strings.Contains(got, "(202) 555-0100 belongs to another key") {
		t.Errorf("the form does not say why:\n%s", got)
	}
	d.phone = newFakePhone()
	d.typeText("+1 202 555 0177")
	d.key("enter")
	d.waitFor("connected again", func() bool { return d.m.phone != nil })
	d.event(call.Event{Kind: call.EventRegistered, Number: "+12025550177"})
	d.waitFor("saved", func() bool { return saved.Load() == "+12025550177" })
}

func TestContacts(t *testing.T) {
	path := t.TempDir() + "/book.json"
	d := newDriver(t, Config{Region: "US", Book: sampleBook(), BookPath: path})
	// New contact from the typed number.
	d.typeText("+1 202 555 0177")
	d.key("n")
	d.waitFor("form", func() bool { return d.m.Screen() == ScreenContact })
	d.typeText("Carol q")
	d.key("backspace", "backspace")
	golden(t, "contact_80x24", d.m.Content())
	d.key("enter")
	d.waitFor("home", func() bool { return d.m.Screen() == ScreenHome })
	if ct, ok := d.m.c.Book.Lookup("+12025550177"); !ok || ct.Name != "Carol" {
		t.Fatalf("contact not saved: %+v", d.m.c.Book.Contacts)
	}
	// Edit the first (Alice) and rename her.
	d.key("down", "e")
	d.waitFor("form", func() bool { return d.m.Screen() == ScreenContact })
	d.key("backspace", "backspace", "backspace", "backspace", "backspace")
	d.typeText("Alicia")
	d.key("enter")
	d.waitFor("home", func() bool { return d.m.Screen() == ScreenHome })
	if ct, _ := d.m.c.Book.Lookup("+12025550101"); ct.Name != "Alicia" {
		t.Errorf("edit: %+v", d.m.c.Book.Contacts)
	}
	// Delete Bob (contacts are sorted: Alicia, Bob, Carol): d asks first,
	// and any key but y keeps him.
	d.key("down", "d")
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "delete Bob? y deletes, n keeps") {
		t.Errorf("d did not ask:\n%s", v)
	}
	if v := helpBar(d.m.Content()); !strings.Contains(v, "y delete") || !strings.Contains(v, "n/esc keep") || strings.Contains(v, "enter") {
		t.Errorf("help bar while asking: %q", v)
	}
	d.key("n")
	if _, ok := d.m.c.Book.Lookup("+442079460000"); !ok || d.m.Screen() != ScreenHome {
		t.Fatal("n did not keep the contact")
	}
	d.key("d", "y")
	d.waitFor("deleted", func() bool { _, ok := d.m.c.Book.Lookup("+442079460000"); return !ok })
	// Persisted.
	d.waitFor("saved", func() bool {
		b, err := book.Load(path)
		return err == nil && len(b.Contacts) == 2 && b.Contacts[0].Name == "Alicia"
	})
	// Enter on a contact dials it.
	d.key("up", "enter")
	d.waitCall("dial +12025550101")
}

func TestHomeFormatsAsYouType(t *testing.T) {
	d := newDriver(t, Config{Region: "US"})
	d.typeText("+44 2079460")
	if got := ansi.Strip(d.m.Content()); !strings.Contains(got, "+44 2079460") {
		t.Errorf("partial number:\n%s", got)
	}
	d.typeText("000")
	if got := ansi.Strip(d.m.Content()); !strings.Contains(got, "+44 20 7946 0000") {
		t.Errorf("whole number not formatted:\n%s", got)
	}
	d.key("ctrl+c")
}

func TestHomeGoldens(t *testing.T) {
	d := newDriver(t, Config{Region: "US", Book: sampleBook()})
	d.typeText("+1 202 555 0143")
	golden(t, "home_80x24", d.m.Content())
	checkSize(t, d.m.Content(), 80, 24)
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.key("down", "down", "down")
	golden(t, "home_120x40", d.m.Content())
	checkSize(t, d.m.Content(), 120, 40)
	d.key("?")
	golden(t, "home_help_120x40", d.m.Content())

	empty := newDriver(t, Config{})
	golden(t, "home_empty_80x24", empty.m.Content())
}

// TestInCallVideo puts a known frame through the mailbox and checks the
// screen shows it as coloured half-blocks, with the self-view.
func TestInCallVideo(t *testing.T) {
	remote, local := &Mailbox{}, &Mailbox{}
	d := newDriver(t, Config{Remote: remote, Local: local, FPS: 120})
	d.send(tea.WindowSizeMsg{Width: 100, Height: 40})
	d.dial("600")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1", LocalLease: "127.77.0.1:40000", RemoteLease: "127.77.0.2:40002", Media: "relay"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	if v := d.m.Content(); !strings.Contains(v, "no video") {
		t.Errorf("no frame yet, but no placeholder:\n%s", ansi.Strip(v))
	}
	d.now = d.now.Add(83 * time.Second) // the frame is fresh, not 83 s old (stalled)
	remote.WriteFrame(gradient(64, 48))
	local.WriteFrame(gradient(32, 24))
	d.waitFor("frame", func() bool { return d.m.remoteSeq != 0 && d.m.localSeq != 0 })
	d.event(call.Event{Kind: call.EventStats, Call: "c1", Stats: &call.Stats{
		SetupMs: 48, Video: call.VideoStats{Width: 64, Height: 48, FPS: 30, Kbps: 400, FramesDecoded: 900},
		Send:  call.SendStats{VideoKbps: 380, AudioKbps: 32, MicLevel: 0.5, Width: 32, Height: 24, FPS: 30, TargetKbps: 800, CameraOn: true},
		Audio: call.AudioStats{Kbps: 32, Level: 0.25}, Network: call.NetworkStats{RTTMs: 12, LossPct: 0.4, JitterMs: 3},
		Path: call.PathStats{Local: "relay", Remote: "relay", LocalAddr: "127.77.0.1:40000", RemoteAddr: "127.77.0.2:40002"},
	}})
	d.waitFor("stats", func() bool { return d.m.cur.stats != nil })
	v := d.m.Content()
	checkSize(t, v, 100, 40)
	if !strings.Contains(v, "▀") || !strings.Contains(v, "38;2;") || !strings.Contains(v, "48;2;") {
		t.Error("video not drawn as truecolour half-blocks")
	}
	for _, want := range []string{"1:23", "↑412 ↓432 kbit/s", "rtt 12 ms", "loss 0.4%", "mic ███░░░"} {
		if !strings.Contains(ansi.Strip(v), want) {
			t.Errorf("status line lacks %q", want)
		}
	}
	golden(t, "incall_100x40", v)
	// Above the self-view the screen is exactly what the renderer draws for
	// the frame at the video area's size (40 rows less the one status line
	// and the help bar).
	want := strings.Split(videopane.NewRenderer(videopane.Config{}).Render(gradient(64, 48), 100, 38, videopane.TrueColor), "\n")
	for row, line := range strings.Split(v, "\n")[:10] {
		if line != want[row] {
			t.Fatalf("row %d differs from the renderer's:\n got %q\nwant %q", row, line, want[row])
		}
	}
	d.key("s")
	golden(t, "incall_stats_100x40", d.m.Content())
	d.key("s")

	// 256 colours and no colour follow the terminal's profile.
	d.send(tea.ColorProfileMsg{Profile: colorprofile.ANSI256})
	if v := strings.Split(d.m.Content(), "\n")[10]; !strings.Contains(v, "48;5;") || strings.Contains(v, "48;2;") {
		t.Error("ANSI256 profile did not give 256-colour video")
	}
	d.send(tea.ColorProfileMsg{Profile: colorprofile.ASCII})
	if v := ansi.Strip(d.m.Content()); strings.Contains(v, "▀") {
		t.Error("ASCII profile still draws half-blocks")
	}
	// Too small for video says so.
	d.send(tea.WindowSizeMsg{Width: 40, Height: 7})
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "too small") {
		t.Errorf("small terminal:\n%s", v)
	}
	golden(t, "incall_small_40x7", d.m.Content())
	checkSize(t, d.m.Content(), 40, 7)
}

func TestColorMode(t *testing.T) {
	for p, want := range map[colorprofile.Profile]videopane.ColorMode{
		colorprofile.TrueColor: videopane.TrueColor, colorprofile.ANSI256: videopane.ANSI256,
		colorprofile.ANSI: videopane.ANSI256, colorprofile.ASCII: videopane.NoColor, colorprofile.NoTTY: videopane.NoColor,
	} {
		if got := ColorMode(p); got != want {
			t.Errorf("%v: got %v, want %v", p, got, want)
		}
	}
}

func TestSummaryGolden(t *testing.T) {
	d := newDriver(t, Config{Book: sampleBook()})
	d.dial("+12025550101")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	d.now = d.now.Add(65 * time.Second)
	d.event(call.Event{Kind: call.EventEnded, Call: "c1", Reason: "hangup",
		Stats: &call.Stats{SetupMs: 52, RingMs: 13780, Video: call.VideoStats{Width: 640, Height: 480, FPS: 29.5}, Network: call.NetworkStats{RTTMs: 9, LossPct: 0.1}}})
	d.waitFor("summary", func() bool { return d.m.Screen() == ScreenSummary })
	golden(t, "summary_80x24", d.m.Content())
}

// TestServices names services from the server's list, and offers the echo
// test only where the server has one.
func TestServices(t *testing.T) {
	d := newDriver(t, Config{})
	d.event(call.Event{Kind: call.EventRegistered, Number: "+12025550100"})
	d.waitFor("no services", func() bool { return len(d.m.c.Services) == 0 })
	if v := ansi.Strip(d.m.Content()); strings.Contains(v, "dial 600") {
		t.Errorf("echo test offered by a server without services:\n%s", v)
	}
	d.event(call.Event{Kind: call.EventRegistered, Number: "+12025550100", Services: []call.Service{{Code: "600", Name: "echo"}}})
	d.waitFor("services", func() bool { return len(d.m.c.Services) == 1 })
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "dial 600 for the echo test") {
		t.Errorf("no echo hint:\n%s", v)
	}
	d.dial("600")
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "echo") || strings.Contains(v, "echo test") {
		t.Errorf("service not named as the server names it:\n%s", v)
	}
}

func TestEngineStopped(t *testing.T) {
	d := newDriver(t, Config{})
	close(d.phone.events)
	d.waitFor("offline", func() bool { return d.m.status.Err })
	d.typeText("600")
	d.key("enter")
	if d.m.Screen() != ScreenHome {
		t.Error("dialled without an engine")
	}
}

// TestInCallWithoutVideo: a call that connects with no camera on our side
// and no video from the other says which is which, instead of two blank
// "no video" panes.
func TestInCallWithoutVideo(t *testing.T) {
	d := newDriver(t, Config{Remote: &Mailbox{}, Local: &Mailbox{}})
	d.send(tea.WindowSizeMsg{Width: 100, Height: 40})
	d.dial("+12025550101")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1", LocalLease: "127.77.0.1:40000", RemoteLease: "127.77.0.2:40002", Media: "relay"})
	d.event(call.Event{Kind: call.EventConnected, Call: "c1"})
	d.event(call.Event{Kind: call.EventStats, Call: "c1", Stats: &call.Stats{
		Audio: call.AudioStats{FramesDecoded: 50, Kbps: 32}, Send: call.SendStats{AudioKbps: 32, CameraOn: false},
	}})
	d.waitFor("stats", func() bool { return d.m.cur.stats != nil })
	v := ansi.Strip(d.m.Content())
	for _, want := range []string{"no camera", "no video from the other side"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
	// Once pictures flow both ways, the notes go.
	d.event(call.Event{Kind: call.EventStats, Call: "c1", Stats: &call.Stats{
		Video: call.VideoStats{FramesDecoded: 30, Width: 320, Height: 240}, Send: call.SendStats{CameraOn: true},
	}})
	d.waitFor("second stats", func() bool { return d.m.cur.stats != nil && d.m.cur.stats.Video.FramesDecoded == 30 })
	if v := ansi.Strip(d.m.Content()); strings.Contains(v, "no camera") || strings.Contains(v, "no video from") {
		t.Errorf("notes stayed after video began:\n%s", v)
	}
}

// TestDialOutcomeWaitsForEvent: when the engine's Dial returns the call's ID
// with an error (the number is unavailable or busy), the engine's events for
// that call say how it ended, with the reason; the screen and the recent
// calls go by them, not by whichever of the two arrived first.
func TestDialOutcomeWaitsForEvent(t *testing.T) {
	for _, tt := range []struct {
		err            string
		ev             call.Event
		headline, says string
		result         string
	}{
		{"the number is unavailable", call.Event{Kind: call.EventUnavailable, Reason: "offline"}, "not reachable", "is not online", "unavailable"},
		{"the number is busy", call.Event{Kind: call.EventBusy}, "busy", "is busy", "busy"},
	} {
		t.Run(tt.result, func(t *testing.T) {
			d := newDriver(t, Config{})
			d.phone.nextID, d.phone.dialErr = "c9", errors.New(tt.err)
			d.dial("+12025550101") // returns once the dial's answer is in
			ev := tt.ev
			ev.Call, ev.Peer = "c9", "+12025550101"
			d.event(ev)
			d.event(call.Event{Kind: call.EventEnded, Call: "c9", Peer: "+12025550101", Reason: tt.result})
			d.waitFor("summary", func() bool { return d.m.Screen() == ScreenSummary })
			if got := ansi.Strip(d.m.Content()); !strings.Contains(got, tt.headline) || !strings.Contains(got, tt.says) {
				t.Errorf("summary lacks %q and %q:\n%s", tt.headline, tt.says, got)
			}
			if r := d.m.c.Book.History; len(r) == 0 || r[0].Result != tt.result {
				t.Errorf("recent calls: %+v, want the newest %q", r, tt.result)
			}
		})
	}
}
