package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call"
)

// screens puts a fresh driver on each screen the help bar is drawn on.
var screens = []struct {
	name string
	// quit is the quit key the bar must show; help whether it shows "? help".
	quit string
	help bool
	to   func(d *driver)
}{
	{"setup", "q quit", true, nil}, // the driver starts there without a number
	{"home", "q quit", true, func(d *driver) {}},
	{"home_contact", "q quit", true, func(d *driver) { d.key("down") }},
	{"home_confirm", "q quit", true, func(d *driver) { d.key("down", "d") }},
	{"contact_name", "ctrl+c quit", false, func(d *driver) {
		d.key("n")
		d.waitFor("form", func() bool { return d.m.Screen() == ScreenContact })
	}},
	{"contact_number", "ctrl+c quit", true, func(d *driver) {
		d.key("n")
		d.waitFor("form", func() bool { return d.m.Screen() == ScreenContact })
		d.key("tab")
	}},
	{"incoming", "q quit", true, func(d *driver) {
		d.event(call.Event{Kind: call.EventIncoming, Call: "in1", Peer: "+12025550101"})
		d.waitFor("dialog", func() bool { return d.m.ringing != nil })
	}},
	{"outgoing", "q quit", true, func(d *driver) { d.dial("+12025550101") }},
	{"incall", "q quit", true, inCall},
	{"incall_muted", "q quit", true, func(d *driver) { inCall(d); d.key("m", "v") }},
	{"incall_stats", "q quit", true, func(d *driver) { inCall(d); d.key("s") }},
	{"waiting", "q quit", true, func(d *driver) {
		inCall(d)
		d.event(call.Event{Kind: call.EventIncoming, Call: "in1", Peer: "+12025550102", Waiting: true})
		d.waitFor("dialog", func() bool { return d.m.ringing != nil })
	}},
	{"summary", "q quit", true, func(d *driver) {
		inCall(d)
		d.event(call.Event{Kind: call.EventEnded, Call: "c1", Reason: "the other side hung up"})
		d.waitFor("summary", func() bool { return d.m.Screen() == ScreenSummary })
	}},
}

// inCall dials and is accepted, with stats, so the status line is full.
func inCall(d *driver) {
	d.dial("+12025550101")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1", LocalLease: "127.77.0.1:40000", RemoteLease: "127.77.0.2:40002", Media: "relay"})
	d.event(call.Event{Kind: call.EventStats, Call: "c1", Stats: &call.Stats{
		Video: call.VideoStats{Kbps: 400, FramesDecoded: 900}, Send: call.SendStats{VideoKbps: 380, AudioKbps: 32, CameraOn: true},
		Network: call.NetworkStats{RTTMs: 12, LossPct: 0.4}}})
	d.waitFor("stats", func() bool { return d.m.cur != nil && d.m.cur.stats != nil })
}

func onScreen(t *testing.T, to func(*driver)) *driver {
	t.Helper()
	if to == nil {
		return newDriver(t, Config{Number: "-"})
	}
	d := newDriver(t, Config{Book: sampleBook()})
	to(d)
	return d
}

// TestHelpBarEveryScreen draws every screen at 80×24 and 40×12: the view
// fills the size exactly, one border style is used, and the help bar's last
// line keeps help and quit however narrow (less important keys go first).
func TestHelpBarEveryScreen(t *testing.T) {
	for _, sc := range screens {
		for _, size := range [][2]int{{80, 24}, {40, 12}} {
			name := fmt.Sprintf("help_%s_%dx%d", sc.name, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				d := onScreen(t, sc.to)
				d.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				v := d.m.Content()
				golden(t, name, v)
				bar := helpBar(v)
				if !strings.Contains(bar, sc.quit) || strings.Contains(bar, "? help") != sc.help {
					t.Errorf("help bar %q: want %q, and ? help %v", bar, sc.quit, sc.help)
				}
				if strings.HasSuffix(strings.TrimRight(bar, " "), "…") {
					t.Errorf("help bar cut: %q", bar)
				}
				if plain := ansi.Strip(v); strings.ContainsAny(plain, "┌╔") {
					t.Errorf("a second border style:\n%s", plain)
				}
			})
		}
	}
}

// TestFullHelpEveryScreen: ? shows the fuller list, aligned (every row
// starts in the same column), never the short bar again; ? closes it.
func TestFullHelpEveryScreen(t *testing.T) {
	for _, sc := range screens {
		if !sc.help {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			d := onScreen(t, sc.to)
			short := helpBar(d.m.Content())
			d.key("?")
			full := d.m.c.HelpView(d.m.helpKeys())
			lines := strings.Split(ansi.Strip(full), "\n")
			if len(lines) < 2 {
				t.Fatalf("full help is one line: %q", full)
			}
			for i, l := range lines {
				if !strings.HasPrefix(l, " ") || strings.HasPrefix(l, "  ") {
					t.Errorf("row %d does not start in column 1: %q", i, l)
				}
			}
			if strings.Contains(ansi.Strip(d.m.Content()), strings.TrimSpace(short)) {
				t.Errorf("full help repeats the short bar %q", short)
			}
			d.key("?")
			if got := helpBar(d.m.Content()); got != short {
				t.Errorf("? did not close the full help: %q", got)
			}
		})
	}
}

// TestFullHelpHome lists what the short bar has no room for.
func TestFullHelpHome(t *testing.T) {
	d := newDriver(t, Config{})
	d.key("?")
	v := ansi.Strip(d.m.Content())
	for _, want := range []string{"0-9 +", "type a number", "choose a contact or a recent call", "the typed number or chosen call", "asks y/n", "quit (ends any call properly)"} {
		if !strings.Contains(v, want) {
			t.Errorf("full help lacks %q:\n%s", want, v)
		}
	}
}

// TestHelpBarIsTrue: what the bar offers works, and what does nothing is
// not offered.
func TestHelpBarIsTrue(t *testing.T) {
	t.Run("home without a contact chosen", func(t *testing.T) {
		d := newDriver(t, Config{Book: sampleBook()})
		if bar := helpBar(d.m.Content()); strings.Contains(bar, "e edit") || strings.Contains(bar, "d delete") {
			t.Errorf("bar offers e/d with no contact chosen: %q", bar)
		}
		d.key("down")
		if bar := helpBar(d.m.Content()); !strings.Contains(bar, "e edit") || !strings.Contains(bar, "d delete") {
			t.Errorf("bar lacks e/d with a contact chosen: %q", bar)
		}
	})
	t.Run("home with nothing to choose", func(t *testing.T) {
		d := newDriver(t, Config{})
		if bar := helpBar(d.m.Content()); strings.Contains(bar, "↑/↓") {
			t.Errorf("bar offers ↑/↓ with no contacts and no calls: %q", bar)
		}
	})
	t.Run("first run", func(t *testing.T) {
		d := newDriver(t, Config{Number: "-"})
		if bar := helpBar(d.m.Content()); strings.Contains(bar, "tab") || strings.Contains(bar, "esc") {
			t.Errorf("the one-field form offers tab/esc: %q", bar)
		}
		d.key("?")
		if !d.m.c.Help.ShowAll {
			t.Error("? does nothing on the first-run screen")
		}
		d.key("q")
		d.waitFor("quit", func() bool { return d.quit })
	})
	t.Run("contact form", func(t *testing.T) {
		d := newDriver(t, Config{})
		d.key("n")
		d.waitFor("form", func() bool { return d.m.Screen() == ScreenContact })
		d.typeText("Q?")
		if d.quit || d.m.c.Help.ShowAll || !strings.Contains(ansi.Strip(d.m.Content()), "Q?▏") {
			t.Errorf("q and ? are not letters of a name:\n%s", ansi.Strip(d.m.Content()))
		}
		d.key("tab", "?")
		if !d.m.c.Help.ShowAll {
			t.Error("? does nothing on the number field, though the bar offers it")
		}
		d.key("ctrl+c")
		d.waitFor("quit", func() bool { return d.quit })
	})
}

// TestFullHelpFits: at 80×24 and 40×12 the full help of every screen is on
// screen to its last row ("q … quit"), and the view fills the size exactly:
// the page gives up its room, not the help.
func TestFullHelpFits(t *testing.T) {
	for _, sc := range screens {
		if !sc.help {
			continue
		}
		for _, size := range [][2]int{{80, 24}, {40, 12}} {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				d := onScreen(t, sc.to)
				d.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				d.key("?")
				v := ansi.Strip(d.m.Content())
				lines := strings.Split(v, "\n")
				if len(lines) != size[1] {
					t.Errorf("view is %d rows, want %d:\n%s", len(lines), size[1], v)
				}
				if last := lines[len(lines)-1]; !strings.Contains(last, "quit") {
					t.Errorf("full help's last row is not on screen (last row %q):\n%s", last, v)
				}
				if !strings.Contains(v, "this help") {
					t.Errorf("full help lacks its ? row:\n%s", v)
				}
			})
		}
	}
}
