package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestNumbersRefusedWithReasons: a number that cannot be is refused where
// it is typed, saying why.
func TestNumbersRefusedWithReasons(t *testing.T) {
	t.Run("own number", func(t *testing.T) {
		for in, want := range map[string]string{
			"+1 000 000 0000": "does not fit the +1 numbering plan",
			"+1 555":          "too short for a +1 number",
			"600":             "600 is a service code",
		} {
			d := newDriver(t, Config{Number: "-"})
			d.typeText(in)
			d.key("enter")
			if v := ansi.Strip(d.m.Content()); !strings.Contains(v, want) || d.m.Screen() != ScreenSetup {
				t.Errorf("%q: want %q on the form:\n%s", in, want, v)
			}
		}
	})
	t.Run("contact", func(t *testing.T) {
		d := newDriver(t, Config{})
		d.key("n")
		d.waitFor("form", func() bool { return d.m.Screen() == ScreenContact })
		d.typeText("Eve")
		d.key("tab")
		d.typeText("555")
		d.key("enter")
		if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "555 is no service of this server") || d.m.Screen() != ScreenContact {
			t.Errorf("555 saved as a contact:\n%s", v)
		}
		d.key("backspace", "backspace", "backspace")
		d.typeText("600") // the echo test is a service: a contact may have it
		d.key("enter")
		d.waitFor("saved", func() bool { _, ok := d.m.c.Book.Lookup("600"); return ok })
	})
	t.Run("dial", func(t *testing.T) {
		d := newDriver(t, Config{})
		d.typeText("+1 555")
		d.key("enter")
		if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "too short") || strings.Contains(v, "write it with +") {
			t.Errorf("dialling +1 555:\n%s", v)
		}
	})
}

// TestRegionFromOwnNumber: without a region, a national number is read as
// one's own country's.
func TestRegionFromOwnNumber(t *testing.T) {
	d := newDriver(t, Config{}) // +12025550100, no region
	d.typeText("202 555 0143")
	d.key("enter")
	d.waitCall("dial +12025550143")

	// The same after the first-run form.
	f := newDriver(t, Config{Number: "-"})
	f.typeText("+44 20 7946 0000")
	f.key("enter")
	f.waitFor("home", func() bool { return f.m.Screen() == ScreenHome })
	if f.m.c.Region != "GB" {
		t.Errorf("region %q after the first run with a +44 number", f.m.c.Region)
	}
}
