package server_test

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

const (
	alice = "+15550100001"
	bob   = "+15550100002"
	carol = "+15550100003"
	dave  = "+15550100004"
)

// setUp calls callee from caller through srv and has it accepted.
func setUp(t *testing.T, caller, callee *servertest.Client) (wire.CallID, *wire.Message, *wire.Message) {
	t.Helper()
	seq := caller.Send(&wire.Message{Type: wire.TypeDial, To: callee.Number})
	ringing := caller.ExpectReply(seq)
	if ringing.Type != wire.TypeRinging {
		t.Fatalf("dial answered %s %s %s", ringing.Type, ringing.Code, ringing.Message)
	}
	in := callee.Expect(wire.TypeIncoming, ringing.Call)
	if in.From != caller.Number {
		t.Fatalf("incoming from %q, want %q", in.From, caller.Number)
	}
	callee.Send(&wire.Message{Type: wire.TypeAccept, Call: ringing.Call})
	a := caller.Expect(wire.TypeAccepted, ringing.Call)
	b := callee.Expect(wire.TypeAccepted, ringing.Call)
	return ringing.Call, a, b
}

func TestRegistrationOpen(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := servertest.Register(t, srv.Addrs.URL, alice)

	// The same number with another key is refused.
	imp := servertest.Dial(t, srv.Addrs.URL)
	imp.Number, imp.Key = alice, servertest.NewKey()
	if m := imp.Login("", ""); m.Type != wire.TypeError || m.Code != wire.CodeAuthFailed {
		t.Fatalf("impostor got %s %s", m.Type, m.Code)
	}
	if err := imp.WaitClosed(); err != nil {
		t.Fatalf("impostor connection: %v", err)
	}
	// The right key registers again from a new connection, which replaces
	// the old one.
	again := servertest.Dial(t, srv.Addrs.URL)
	again.Number, again.Key = alice, a.Key
	if m := again.Login("", ""); m.Type != wire.TypeRegistered {
		t.Fatalf("re-registration got %s %s", m.Type, m.Code)
	}
	if err := a.WaitClosed(); err != nil {
		t.Fatalf("replaced connection: %v", err)
	}
}

func TestRegistrationRejects(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	t.Run("bad signature", func(t *testing.T) {
		c := servertest.Dial(t, srv.Addrs.URL)
		key := servertest.NewKey()
		seq := c.Send(&wire.Message{Type: wire.TypeHello, Number: carol, Key: key.Public().(ed25519.PublicKey)})
		c.ExpectReply(seq)
		seq = c.Send(&wire.Message{Type: wire.TypeProof, Sig: make([]byte, 64)})
		if m := c.ExpectReply(seq); m.Code != wire.CodeAuthFailed {
			t.Fatalf("got %s %s", m.Type, m.Code)
		}
	})
	t.Run("service code", func(t *testing.T) {
		c := servertest.Dial(t, srv.Addrs.URL)
		c.Number, c.Key = "600", servertest.NewKey()
		if m := c.Login("", ""); m.Code != wire.CodeBadNumber {
			t.Fatalf("got %s %s", m.Type, m.Code)
		}
	})
	t.Run("impossible number", func(t *testing.T) {
		c := servertest.Dial(t, srv.Addrs.URL)
		c.Number, c.Key = "+9991234567", servertest.NewKey()
		if m := c.Login("", ""); m.Code != wire.CodeBadNumber {
			t.Fatalf("got %s %s", m.Type, m.Code)
		}
	})
	t.Run("number outside its country's plan", func(t *testing.T) {
		// The server parses with call/number, as the phone does: what the
		// phone refuses, the server refuses too.
		c := servertest.Dial(t, srv.Addrs.URL)
		c.Number, c.Key = "+10000000000", servertest.NewKey()
		if m := c.Login("", ""); m.Code != wire.CodeBadNumber {
			t.Fatalf("got %s %s", m.Type, m.Code)
		}
	})
	t.Run("dial before registering", func(t *testing.T) {
		c := servertest.Dial(t, srv.Addrs.URL)
		seq := c.Send(&wire.Message{Type: wire.TypeDial, To: bob})
		if m := c.ExpectReply(seq); m.Code != wire.CodeNotRegistered {
			t.Fatalf("got %s %s", m.Type, m.Code)
		}
	})
}

func TestRegistrationInvite(t *testing.T) {
	srv := servertest.New(t, servertest.Options{Registration: "invite"})
	code, err := srv.Store().CreateInvite(context.Background(), alice, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	try := func(number, invite string) *wire.Message {
		c := servertest.Dial(t, srv.Addrs.URL)
		c.Number, c.Key = number, servertest.NewKey()
		return c.Login(invite, "")
	}
	if m := try(alice, ""); m.Code != wire.CodeInviteRequired {
		t.Fatalf("no invite: %s %s", m.Type, m.Code)
	}
	if m := try(alice, "AAAA-BBBB-CCCC-DDDD"); m.Code != wire.CodeInviteInvalid {
		t.Fatalf("wrong invite: %s %s", m.Type, m.Code)
	}
	if m := try(bob, code); m.Code != wire.CodeInviteInvalid {
		t.Fatalf("someone else's invite: %s %s", m.Type, m.Code)
	}
	if m := try(alice, code); m.Type != wire.TypeRegistered {
		t.Fatalf("valid invite: %s %s", m.Type, m.Code)
	}
	if m := try(alice, code); m.Code != wire.CodeAuthFailed {
		t.Fatalf("the number is bound now; another key: %s %s", m.Type, m.Code)
	}
}

func TestCallAcceptHangup(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	id, acc, bcc := setUp(t, a, b)

	// Each side is told its own lease and the other's; they agree.
	if acc.LocalLease != bcc.RemoteLease || acc.RemoteLease != bcc.LocalLease || acc.LocalLease == acc.RemoteLease {
		t.Fatalf("leases disagree: caller %s→%s callee %s→%s", acc.LocalLease, acc.RemoteLease, bcc.LocalLease, bcc.RemoteLease)
	}
	if !acc.Offerer || bcc.Offerer || acc.Relay == nil || bcc.Relay == nil || acc.Media != wire.MediaRelay {
		t.Fatalf("accepted lacks offerer/relay/media: %+v / %+v", acc, bcc)
	}
	// The callee was leased first: it got the pool's first address.
	first := srv.Config.Pools[0].Addr().Next()
	la, _ := srv.Leases().Lookup(bob)
	if la.Addr.String() != bcc.LocalLease || la.Addr.Addr() != first {
		t.Fatalf("callee lease %v, told %s", la.Addr, bcc.LocalLease)
	}
	if st := srv.Leases().Stats(); st.InUse != 2 {
		t.Fatalf("leases in use = %d, want 2", st.InUse)
	}
	// SDP and ICE pass between the parties.
	offer := "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=offer\r\nt=0 0\r\n"
	a.Send(&wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: offer})
	if m := b.Expect(wire.TypeSDP, id); m.SDP != offer || m.SDPType != wire.SDPOffer {
		t.Fatalf("callee got sdp %+v", m)
	}
	relayCand := "candidate:1 1 udp 1 " + la.Addr.Addr().String() + " 40000 typ relay raddr 0.0.0.0 rport 0"
	b.Send(&wire.Message{Type: wire.TypeICE, Call: id, Candidate: &wire.Candidate{Candidate: relayCand}})
	if m := a.Expect(wire.TypeICE, id); m.Candidate == nil || m.Candidate.Candidate != relayCand {
		t.Fatalf("caller got ice %+v", m)
	}
	// So does whether a camera is on.
	b.Send(&wire.Message{Type: wire.TypeMediaState, Call: id, Camera: wire.CameraOff})
	if m := a.Expect(wire.TypeMediaState, id); m.Camera != wire.CameraOff {
		t.Fatalf("caller got media-state %+v", m)
	}
	seq := b.Send(&wire.Message{Type: wire.TypeHangup, Call: id})
	if m := b.ExpectReply(seq); m.Type != wire.TypeHangupAck {
		t.Fatalf("hangup answered %s", m.Type)
	}
	if m := a.Expect(wire.TypeEnded, id); m.Reason != wire.ReasonHangup {
		t.Fatalf("ended reason %q", m.Reason)
	}
	st := srv.Leases().Stats()
	if st.InUse != 0 || st.HeldDown != 2 {
		t.Fatalf("after hang-up: in use %d, held down %d; want 0 and 2", st.InUse, st.HeldDown)
	}
	if len(srv.Switchboard().Calls()) != 0 {
		t.Fatalf("calls still live: %+v", srv.Switchboard().Calls())
	}
	// The hang-up really is the end: a second one is about no call.
	seq = a.Send(&wire.Message{Type: wire.TypeHangup, Call: id})
	if m := a.ExpectReply(seq); m.Code != wire.CodeUnknownCall {
		t.Fatalf("second hangup answered %s %s", m.Type, m.Code)
	}
}

func TestCallRefuseCancelNoAnswer(t *testing.T) {
	srv := servertest.New(t, servertest.Options{RingTimeout: 300 * time.Millisecond})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	dial := func() wire.CallID {
		seq := a.Send(&wire.Message{Type: wire.TypeDial, To: bob})
		m := a.ExpectReply(seq)
		b.Expect(wire.TypeIncoming, m.Call)
		return m.Call
	}
	t.Run("refuse", func(t *testing.T) {
		id := dial()
		seq := b.Send(&wire.Message{Type: wire.TypeRefuse, Call: id})
		if m := b.ExpectReply(seq); m.Type != wire.TypeRefused {
			t.Fatalf("callee got %s", m.Type)
		}
		a.Expect(wire.TypeRefused, id)
	})
	t.Run("cancel", func(t *testing.T) {
		id := dial()
		seq := a.Send(&wire.Message{Type: wire.TypeCancel, Call: id})
		if m := a.ExpectReply(seq); m.Type != wire.TypeCancelled {
			t.Fatalf("caller got %s", m.Type)
		}
		if m := b.Expect(wire.TypeCancelled, id); m.Reason != wire.ReasonCancelled {
			t.Fatalf("callee cancelled reason %q", m.Reason)
		}
	})
	t.Run("no answer", func(t *testing.T) {
		id := dial()
		a.Expect(wire.TypeNoAnswer, id)
		if m := b.Expect(wire.TypeCancelled, id); m.Reason != wire.ReasonNoAnswer {
			t.Fatalf("callee cancelled reason %q", m.Reason)
		}
	})
	t.Run("wrong party", func(t *testing.T) {
		id := dial()
		seq := a.Send(&wire.Message{Type: wire.TypeAccept, Call: id})
		if m := a.ExpectReply(seq); m.Code != wire.CodeWrongState {
			t.Fatalf("caller accepting own call: %s %s", m.Type, m.Code)
		}
		a.Send(&wire.Message{Type: wire.TypeCancel, Call: id})
		b.Expect(wire.TypeCancelled, id)
	})
	if st := srv.Leases().Stats(); st.InUse != 0 || st.HeldDown != 0 {
		t.Fatalf("calls that never connected leased addresses: %+v", st)
	}
	// Cancelled and unanswered calls wait for bob as missed calls.
	b.Close()
	again := servertest.Dial(t, srv.Addrs.URL)
	again.Number, again.Key = bob, b.Key
	reg := again.Login("", "")
	if len(reg.Missed) != 3 {
		t.Fatalf("missed calls delivered: %+v, want 3 (cancel, no answer, wrong party)", reg.Missed)
	}
	for _, m := range reg.Missed {
		if m.From != alice {
			t.Fatalf("missed call from %q", m.From)
		}
	}
	again.Send(&wire.Message{Type: wire.TypeMissedAck, ID: reg.Missed[len(reg.Missed)-1].ID})
	again.Send(&wire.Message{Type: wire.TypePing})
	again.Expect(wire.TypePong, "")
	again.Close()
	third := servertest.Dial(t, srv.Addrs.URL)
	third.Number, third.Key = bob, b.Key
	if reg := third.Login("", ""); len(reg.Missed) != 0 {
		t.Fatalf("acknowledged missed calls came back: %+v", reg.Missed)
	}
}

func TestDialUnavailable(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	b.Send(&wire.Message{Type: wire.TypeBye})
	if err := b.WaitClosed(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		to, reason string
	}{{carol, wire.ReasonUnknown}, {bob, wire.ReasonOffline}, {"611", wire.ReasonUnknown}}
	for _, c := range cases {
		seq := a.Send(&wire.Message{Type: wire.TypeDial, To: c.to})
		m := a.ExpectReply(seq)
		if m.Type != wire.TypeUnavailable || m.Reason != c.reason {
			t.Fatalf("dial %s: %s %q, want unavailable %q", c.to, m.Type, m.Reason, c.reason)
		}
	}
	seq := a.Send(&wire.Message{Type: wire.TypeDial, To: alice})
	if m := a.ExpectReply(seq); m.Code != wire.CodeSelf {
		t.Fatalf("dialling yourself: %s %s", m.Type, m.Code)
	}
	seq = a.Send(&wire.Message{Type: wire.TypeDial, To: "+1555"})
	if m := a.ExpectReply(seq); m.Code != wire.CodeBadNumber {
		t.Fatalf("dialling a malformed number: %s %s", m.Type, m.Code)
	}
	back := servertest.Dial(t, srv.Addrs.URL)
	back.Number, back.Key = bob, b.Key
	if reg := back.Login("", ""); len(reg.Missed) != 1 || reg.Missed[0].From != alice {
		t.Fatalf("bob's missed calls: %+v", reg.Missed)
	}
}

func TestGlare(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	seq := a.Send(&wire.Message{Type: wire.TypeDial, To: bob})
	id := a.ExpectReply(seq).Call
	b.Expect(wire.TypeIncoming, id)
	seq = b.Send(&wire.Message{Type: wire.TypeDial, To: alice})
	if m := b.ExpectReply(seq); m.Type != wire.TypeAccepted || m.Call != id {
		t.Fatalf("bob's crossing dial got %s for %s, want accepted for %s", m.Type, m.Call, id)
	}
	a.Expect(wire.TypeAccepted, id)
	if n := len(srv.Switchboard().Calls()); n != 1 {
		t.Fatalf("%d calls, want the one", n)
	}
}

func TestCallWaitingAndBusy(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	c := servertest.Register(t, srv.Addrs.URL, carol)
	d := servertest.Register(t, srv.Addrs.URL, dave)
	first, _, bFirst := setUp(t, a, b)

	seq := c.Send(&wire.Message{Type: wire.TypeDial, To: bob})
	second := c.ExpectReply(seq).Call
	if m := b.Expect(wire.TypeIncoming, second); !m.Waiting {
		t.Fatal("the incoming call during a call is not marked waiting")
	}
	// A third caller finds bob busy.
	seq = d.Send(&wire.Message{Type: wire.TypeDial, To: bob})
	if m := d.ExpectReply(seq); m.Type != wire.TypeBusy {
		t.Fatalf("dave got %s, want busy", m.Type)
	}
	b.Send(&wire.Message{Type: wire.TypeAccept, Call: second})
	bSecond := b.Expect(wire.TypeAccepted, second)
	c.Expect(wire.TypeAccepted, second)
	// Bob keeps and reuses the lease he holds (the patent's figure 2C).
	if bSecond.LocalLease != bFirst.LocalLease {
		t.Fatalf("bob's second call leased %s; he holds %s", bSecond.LocalLease, bFirst.LocalLease)
	}
	if l, _ := srv.Leases().Lookup(bob); l.Refs != 2 {
		t.Fatalf("bob's lease refs = %d, want 2", l.Refs)
	}
	a.Send(&wire.Message{Type: wire.TypeHangup, Call: first})
	b.Expect(wire.TypeEnded, first)
	if l, ok := srv.Leases().Lookup(bob); !ok || l.Refs != 1 {
		t.Fatalf("after one call ends bob's lease = %+v %v, want refs 1", l, ok)
	}
	c.Send(&wire.Message{Type: wire.TypeHangup, Call: second})
	b.Expect(wire.TypeEnded, second)
	if _, ok := srv.Leases().Lookup(bob); ok {
		t.Fatal("bob's lease outlived his calls")
	}
}

func TestForwardOnlyBetweenParties(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	c := servertest.Register(t, srv.Addrs.URL, carol)
	id, _, _ := setUp(t, a, b)
	for _, m := range []*wire.Message{
		{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: "v=0 evil"},
		{Type: wire.TypeICE, Call: id, Candidate: &wire.Candidate{Candidate: "candidate:evil"}},
		{Type: wire.TypeMediaState, Call: id, Camera: wire.CameraOff},
		{Type: wire.TypeHangup, Call: id},
		{Type: wire.TypeAccept, Call: id},
	} {
		seq := c.Send(m)
		if r := c.ExpectReply(seq); r.Code != wire.CodeUnknownCall {
			t.Fatalf("carol's %s on someone else's call: %s %s", m.Type, r.Type, r.Code)
		}
	}
	// Nothing carol sent reached the parties: the next thing bob hears is
	// alice's real offer.
	real := "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
	a.Send(&wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: real})
	if m := b.Next(func(*wire.Message) bool { return true }); m.SDP != real {
		t.Fatalf("bob heard %+v first", m)
	}
}

func TestDropAndResume(t *testing.T) {
	// Media "auto", so that the stand-in candidate passes unscrubbed.
	srv := servertest.New(t, servertest.Options{Grace: 5 * time.Second, Media: wire.MediaAuto})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	id, _, _ := setUp(t, a, b)
	a.Close() // the network drops
	// Bob's candidate while alice is away is kept for her.
	b.Send(&wire.Message{Type: wire.TypeICE, Call: id, Candidate: &wire.Candidate{Candidate: "candidate:late"}})
	b.Send(&wire.Message{Type: wire.TypePing})
	b.Expect(wire.TypePong, "")

	back := servertest.Dial(t, srv.Addrs.URL)
	back.Number, back.Key = alice, a.Key
	back.SetLastSN(a.LastSN())
	reg := back.Login("", a.Session)
	if !reg.Resumed || len(reg.Calls) != 1 || reg.Calls[0].Call != id || reg.Calls[0].State != "active" {
		t.Fatalf("resume: %+v", reg)
	}
	if m := back.Expect(wire.TypeICE, id); m.Candidate.Candidate != "candidate:late" {
		t.Fatalf("queued candidate: %+v", m)
	}
	seq := back.Send(&wire.Message{Type: wire.TypeHangup, Call: id})
	back.ExpectReply(seq)
	b.Expect(wire.TypeEnded, id)
	if st := srv.Switchboard().Stats(); st.Resumes != 1 || st.PeerLost != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestClientDiesMidCall(t *testing.T) {
	srv := servertest.New(t, servertest.Options{Grace: 200 * time.Millisecond})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	id, _, _ := setUp(t, a, b)
	a.Close()
	if m := b.Expect(wire.TypeEnded, id); m.Reason != wire.ReasonPeerLost {
		t.Fatalf("ended reason %q", m.Reason)
	}
	if st := srv.Leases().Stats(); st.InUse != 0 {
		t.Fatalf("leases in use after the peer was lost: %d", st.InUse)
	}
	// A resume after the grace period finds nothing to resume.
	back := servertest.Dial(t, srv.Addrs.URL)
	back.Number, back.Key = alice, a.Key
	if reg := back.Login("", a.Session); reg.Type != wire.TypeRegistered || reg.Resumed {
		t.Fatalf("late resume: %+v", reg)
	}
}

func TestPoolExhausted(t *testing.T) {
	srv := servertest.New(t, servertest.Options{Pool: "127.77.9.1/32", PortLo: 40000, PortHi: 40002})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	c := servertest.Register(t, srv.Addrs.URL, carol)
	d := servertest.Register(t, srv.Addrs.URL, dave)
	setUp(t, a, b) // two of three addresses
	seq := c.Send(&wire.Message{Type: wire.TypeDial, To: dave})
	id := c.ExpectReply(seq).Call
	d.Expect(wire.TypeIncoming, id)
	d.Send(&wire.Message{Type: wire.TypeAccept, Call: id})
	if m := c.Expect(wire.TypeEnded, id); m.Reason != wire.ReasonNoCapacity {
		t.Fatalf("caller got ended %q", m.Reason)
	}
	if m := d.Expect(wire.TypeEnded, id); m.Reason != wire.ReasonNoCapacity {
		t.Fatalf("callee got ended %q", m.Reason)
	}
	st := srv.Leases().Stats()
	if st.InUse != 2 || st.Exhaustions == 0 {
		t.Fatalf("pool after exhaustion: %+v (the callee's lease must go back)", st)
	}
	if srv.Switchboard().Stats().NoCapacity != 1 {
		t.Fatal("no-capacity not counted")
	}
}

func TestShutdownEndsCalls(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	id, _, _ := setUp(t, a, b)
	srv.Stop(t)
	for _, c := range []*servertest.Client{a, b} {
		if m := c.Expect(wire.TypeEnded, id); m.Reason != wire.ReasonShutdown {
			t.Fatalf("%s: ended %q", c.Number, m.Reason)
		}
		if err := c.WaitClosed(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	srv := servertest.New(t, servertest.Options{DataDir: dir})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	id, _, _ := setUp(t, a, b)
	a.Send(&wire.Message{Type: wire.TypeHangup, Call: id})
	b.Expect(wire.TypeEnded, id)
	srv.Stop(t)

	srv2 := servertest.New(t, servertest.Options{DataDir: dir})
	imp := servertest.Dial(t, srv2.Addrs.URL)
	imp.Number, imp.Key = alice, servertest.NewKey()
	if m := imp.Login("", ""); m.Code != wire.CodeAuthFailed {
		t.Fatalf("after a restart alice's number took another key: %s %s", m.Type, m.Code)
	}
	again := servertest.Dial(t, srv2.Addrs.URL)
	again.Number, again.Key = alice, a.Key
	if m := again.Login("", ""); m.Type != wire.TypeRegistered {
		t.Fatalf("alice after restart: %s %s", m.Type, m.Code)
	}
	cdrs, err := srv2.Store().Calls(context.Background(), 10)
	if err != nil || len(cdrs) != 1 || cdrs[0].CallID != string(id) || cdrs[0].Reason != wire.ReasonHangup || cdrs[0].CalleeLease == "" || cdrs[0].Answer.IsZero() {
		t.Fatalf("call records after restart: %+v %v", cdrs, err)
	}
}
