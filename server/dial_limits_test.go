package server_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
	"github.com/dialtone/dialtone/server/switchboard"
)

var (
	attackerIP = netip.MustParseAddr("127.0.0.66")
	legitIP    = netip.MustParseAddr("127.0.0.77")
)

// dial sends a dial from c to number and returns the answer to it.
func dial(c *servertest.Client, to string) *wire.Message {
	return c.ExpectReply(c.Send(&wire.Message{Type: wire.TypeDial, To: to}))
}

// TestDialFloodCannotMakeBusy is the busy-flood probe scaled down: an
// attacker with two numbers on one address keeps ringing bob, redialling
// the moment each ring times out, and a legitimate caller dialling bob
// each round always gets through to bob's call waiting, never busy. Bob
// sees both calls and can refuse either.
func TestDialFloodCannotMakeBusy(t *testing.T) {
	srv := servertest.New(t, servertest.Options{RingTimeout: 300 * time.Millisecond, DialLimits: &switchboard.DialLimits{}})
	b := servertest.Register(t, srv.Addrs.URL, bob)
	m1 := servertest.RegisterFrom(t, srv.Addrs.URL, "+15550100066", attackerIP)
	m2 := servertest.RegisterFrom(t, srv.Addrs.URL, "+15550100067", attackerIP)
	c := servertest.RegisterFrom(t, srv.Addrs.URL, carol, legitIP)

	const rounds = 4
	for round := range rounds {
		// The attacker rings bob from both numbers and tries a second call
		// from the first; only one call per number rings.
		r1, r2 := dial(m1, bob), dial(m2, bob)
		if r1.Type != wire.TypeRinging || r2.Type != wire.TypeRinging {
			t.Fatalf("round %d: attacker's dials got %s %s / %s %s", round, r1.Type, r1.Code, r2.Type, r2.Code)
		}
		if again := dial(m1, bob); again.Code != wire.CodeDialLimited {
			t.Fatalf("round %d: a second ringing call from one number got %s %s, want %s", round, again.Type, again.Code, wire.CodeDialLimited)
		}
		b.Expect(wire.TypeIncoming, r1.Call)
		b.Expect(wire.TypeIncoming, r2.Call)

		got := dial(c, bob)
		if got.Type != wire.TypeRinging {
			t.Fatalf("round %d: the legitimate caller got %s %s %q, want ringing", round, got.Type, got.Code, got.Message)
		}
		if in := b.Expect(wire.TypeIncoming, got.Call); in.From != carol || !in.Waiting {
			t.Fatalf("round %d: bob's dialog for carol: %+v", round, in)
		}
		// Bob refuses one of the flood and carol gives up; the attacker's
		// other call rings out and the attacker redials at once.
		b.Send(&wire.Message{Type: wire.TypeRefuse, Call: r1.Call})
		m1.Expect(wire.TypeRefused, r1.Call)
		c.Send(&wire.Message{Type: wire.TypeCancel, Call: got.Call})
		c.Expect(wire.TypeCancelled, got.Call)
		m2.Expect(wire.TypeNoAnswer, r2.Call)
	}
	if st := srv.Switchboard().Stats(); st.Busy != 0 || st.DialLimited != rounds {
		t.Fatalf("busy %d, dial-limited %d; want 0 and %d", st.Busy, st.DialLimited, rounds)
	}
}

// TestDialLimits checks each limit's refusal at the server, and that a
// limit that was hit lets go once the call it counted stops ringing.
func TestDialLimits(t *testing.T) {
	t.Run("ringing per caller", func(t *testing.T) {
		srv := servertest.New(t, servertest.Options{DialLimits: &switchboard.DialLimits{}})
		a := servertest.Register(t, srv.Addrs.URL, alice)
		servertest.Register(t, srv.Addrs.URL, bob)
		servertest.Register(t, srv.Addrs.URL, carol)
		first := dial(a, bob)
		if m := dial(a, carol); m.Code != wire.CodeDialLimited {
			t.Fatalf("second ringing call: %s %s", m.Type, m.Code)
		}
		a.Send(&wire.Message{Type: wire.TypeCancel, Call: first.Call})
		a.Expect(wire.TypeCancelled, first.Call)
		if m := dial(a, carol); m.Type != wire.TypeRinging {
			t.Fatalf("after cancelling: %s %s", m.Type, m.Code)
		}
	})
	t.Run("ringing per source", func(t *testing.T) {
		srv := servertest.New(t, servertest.Options{DialLimits: &switchboard.DialLimits{RingingPerSource: 2}})
		servertest.Register(t, srv.Addrs.URL, dave)
		callers := []*servertest.Client{
			servertest.RegisterFrom(t, srv.Addrs.URL, alice, attackerIP),
			servertest.RegisterFrom(t, srv.Addrs.URL, bob, attackerIP),
			servertest.RegisterFrom(t, srv.Addrs.URL, carol, attackerIP),
		}
		for i, c := range callers {
			want := wire.TypeRinging
			if i == 2 {
				want = wire.TypeError
			}
			if m := dial(c, dave); m.Type != want || want == wire.TypeError && m.Code != wire.CodeDialLimited {
				t.Fatalf("caller %d from one address: %s %s, want %s", i, m.Type, m.Code, want)
			}
		}
		// Another address is not held to this one's count.
		other := servertest.RegisterFrom(t, srv.Addrs.URL, "+15550100009", legitIP)
		if m := dial(other, dave); m.Type != wire.TypeRinging && m.Type != wire.TypeBusy {
			t.Fatalf("a caller on another address: %s %s", m.Type, m.Code)
		}
	})
	t.Run("dials a minute per pair", func(t *testing.T) {
		srv := servertest.New(t, servertest.Options{DialLimits: &switchboard.DialLimits{PairPerMinute: 3}})
		a := servertest.Register(t, srv.Addrs.URL, alice)
		for i := range 3 {
			if m := dial(a, "+15550100099"); m.Type != wire.TypeUnavailable {
				t.Fatalf("dial %d: %s %s", i, m.Type, m.Code)
			}
		}
		if m := dial(a, "+15550100099"); m.Code != wire.CodeDialLimited {
			t.Fatalf("fourth dial in a minute: %s %s", m.Type, m.Code)
		}
		if m := dial(a, "+15550100098"); m.Type != wire.TypeUnavailable {
			t.Fatalf("a dial to another number: %s %s", m.Type, m.Code)
		}
	})
	t.Run("dials a minute per source", func(t *testing.T) {
		srv := servertest.New(t, servertest.Options{DialLimits: &switchboard.DialLimits{SourcePerMinute: 4}})
		a := servertest.RegisterFrom(t, srv.Addrs.URL, alice, attackerIP)
		b := servertest.RegisterFrom(t, srv.Addrs.URL, bob, attackerIP)
		for i := range 4 {
			c := []*servertest.Client{a, b}[i%2]
			if m := dial(c, "+1555010009"+string(rune('0'+i))); m.Type != wire.TypeUnavailable {
				t.Fatalf("dial %d: %s %s", i, m.Type, m.Code)
			}
		}
		if m := dial(b, "+15550100088"); m.Code != wire.CodeDialLimited {
			t.Fatalf("fifth dial from one address in a minute: %s %s", m.Type, m.Code)
		}
		c := servertest.RegisterFrom(t, srv.Addrs.URL, carol, legitIP)
		if m := dial(c, "+15550100088"); m.Type != wire.TypeUnavailable {
			t.Fatalf("a dial from another address: %s %s", m.Type, m.Code)
		}
	})
}
