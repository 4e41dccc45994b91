package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestStatusShowsWebURL: with an embedded server serving the browser phone,
// the status line says where, once registered; without one it says nothing.
func TestStatusShowsWebURL(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"http://127.0.0.1:41234/", "online as +1 202-555-0100 · browser phone http://127.0.0.1:41234/"},
		{"", "online as +1 202-555-0100"},
	} {
		d := newDriver(t, Config{WebURL: tc.url})
		got := d.m.status.Text
		if !strings.HasPrefix(got, "online as ") || strings.Contains(got, "browser phone") != (tc.url != "") || !strings.HasSuffix(got, tc.url) {
			t.Errorf("status %q, want like %q", got, tc.want)
		}
		if v := ansi.Strip(d.m.Content()); !strings.Contains(v, got) {
			t.Errorf("the 80x24 screen lacks the status %q:\n%s", got, v)
		}
	}
}
