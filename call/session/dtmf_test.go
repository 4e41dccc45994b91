package session_test

import (
	"errors"
	"testing"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestTonesBetweenPhones: keys one phone sends in a call are dtmf events at
// the other, once each, in order; both ways.
func TestTonesBetweenPhones(t *testing.T) {
	srv := servertest.New(t, servertest.Options{Pool: "127.77.29.0/24"})
	a := newPhone(t, alice, opts{url: srv.Addrs.URL, factory: pionMedia, prep: withDevices(t, 440)})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL, factory: pionMedia, prep: withDevices(t, 660)})
	id := connect(t, a, b)
	for _, c := range []struct {
		from, to *phone
		digits   string
	}{{a, b, "12#"}, {b, a, "*9"}} {
		if err := c.from.SendTones(id, c.digits); err != nil {
			t.Fatal(err)
		}
		var got string
		for len(got) < len(c.digits) {
			e := c.to.wait(t, call.EventTone, id)
			if e.Peer != c.from.number {
				t.Errorf("dtmf event from %q, want %q", e.Peer, c.from.number)
			}
			got += e.Digit
		}
		if got != c.digits {
			t.Fatalf("%s got %q, want %q", c.to.number, got, c.digits)
		}
	}
	if err := a.SendTones(id, "1x"); !errors.Is(err, session.ErrBadTones) {
		t.Fatalf("SendTones(1x) = %v", err)
	}
	if err := a.SendTones("nope", "1"); !errors.Is(err, session.ErrNoCall) {
		t.Fatalf("SendTones in no call = %v", err)
	}
}
