package sigclient_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/sigclient"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

const (
	alice = "+15550100001"
	bob   = "+15550100002"
)

type running struct {
	c    *sigclient.Client
	key  ed25519.PrivateKey
	errc chan error
}

func keyOf(t *testing.T, r *running) ed25519.PrivateKey { t.Helper(); return r.key }

func start(t *testing.T, cfg sigclient.Config) *running {
	t.Helper()
	if cfg.Key == nil {
		cfg.Key = servertest.NewKey()
	}
	cfg.MinBackoff, cfg.MaxBackoff = 10*time.Millisecond, 100*time.Millisecond
	c, err := sigclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &running{c: c, key: cfg.Key, errc: make(chan error, 1)}
	go func() { r.errc <- c.Run(context.Background()) }()
	t.Cleanup(func() {
		c.Close()
		<-c.Done()
	})
	return r
}

// next returns the next message that match accepts, skipping others.
func (r *running) next(t *testing.T, match func(*wire.Message) bool) *wire.Message {
	t.Helper()
	timeout := time.After(servertest.Wait)
	for {
		select {
		case m, ok := <-r.c.Messages():
			if !ok {
				t.Fatal("Messages closed")
			}
			if match(m) {
				return m
			}
		case <-timeout:
			t.Fatal("no matching message")
		}
	}
}

func ofType(typ wire.Type) func(*wire.Message) bool {
	return func(m *wire.Message) bool { return m.Type == typ }
}

func TestRegisterAndCall(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := start(t, sigclient.Config{URL: srv.Addrs.URL, Number: alice})
	if m := a.next(t, ofType(wire.TypeRegistered)); m.Number != alice || m.Resumed {
		t.Fatalf("registered %+v", m)
	}
	b := servertest.Register(t, srv.Addrs.URL, bob)

	ctx := context.Background()
	ring, err := a.c.Request(ctx, &wire.Message{Type: wire.TypeDial, To: bob})
	if err != nil || ring.Type != wire.TypeRinging {
		t.Fatalf("dial: %+v %v", ring, err)
	}
	// The reply is on Messages too, in its place.
	if m := a.next(t, func(m *wire.Message) bool { return m.Call == ring.Call }); m.Type != wire.TypeRinging {
		t.Fatalf("first message of the call: %s", m.Type)
	}
	b.Expect(wire.TypeIncoming, ring.Call)
	b.Send(&wire.Message{Type: wire.TypeAccept, Call: ring.Call})
	if m := a.next(t, ofType(wire.TypeAccepted)); !m.Offerer || m.LocalLease == "" {
		t.Fatalf("accepted %+v", m)
	}
	// An error reply is an error.
	_, err = a.c.Request(ctx, &wire.Message{Type: wire.TypeDial, To: alice})
	var se *sigclient.ServerError
	if !errors.As(err, &se) || se.Code != wire.CodeSelf {
		t.Fatalf("dialling self: %v", err)
	}
	// Close says bye: bob hears the hang-up at once, not after a grace period.
	a.c.Close()
	if m := b.Expect(wire.TypeEnded, ring.Call); m.Reason != wire.ReasonHangup {
		t.Fatalf("bob: ended %q", m.Reason)
	}
	if err := <-a.errc; err != nil {
		t.Fatalf("Run after Close: %v", err)
	}
	if _, err := a.c.Send(&wire.Message{Type: wire.TypePing}); !errors.Is(err, sigclient.ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
}

func TestResumeAfterDrop(t *testing.T) {
	// Media "auto": the server forwards SDP and candidates as they are,
	// so these stand-ins can mark what was delivered.
	srv := servertest.New(t, servertest.Options{Grace: 10 * time.Second, Media: wire.MediaAuto})
	px := servertest.NewProxy(t, srv.Addrs.Signal)
	a := start(t, sigclient.Config{URL: px.URL(), Number: alice})
	a.next(t, ofType(wire.TypeRegistered))
	b := servertest.Register(t, srv.Addrs.URL, bob)

	ring, err := a.c.Request(context.Background(), &wire.Message{Type: wire.TypeDial, To: bob})
	if err != nil {
		t.Fatal(err)
	}
	id := ring.Call
	b.Expect(wire.TypeIncoming, id)
	b.Send(&wire.Message{Type: wire.TypeAccept, Call: id})
	b.Expect(wire.TypeAccepted, id)

	var seen []*wire.Message
	collect := func(match func(*wire.Message) bool) *wire.Message {
		m := a.next(t, func(m *wire.Message) bool { seen = append(seen, m); return match(m) })
		return m
	}
	collect(ofType(wire.TypeAccepted))
	// Two candidates before the drop; alice sees both.
	for _, c := range []string{"candidate:0", "candidate:1"} {
		b.Send(&wire.Message{Type: wire.TypeICE, Call: id, Candidate: &wire.Candidate{Candidate: c}})
	}
	collect(func(m *wire.Message) bool { return m.Candidate != nil && m.Candidate.Candidate == "candidate:1" })

	px.Drop()
	collect(ofType(sigclient.TypeDisconnected))
	// While alice is away: bob trickles more, alice queues an answer.
	for _, c := range []string{"candidate:2", "candidate:3"} {
		b.Send(&wire.Message{Type: wire.TypeICE, Call: id, Candidate: &wire.Candidate{Candidate: c}})
	}
	if _, err := a.c.Send(&wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPAnswer, SDP: "v=0 queued"}); err != nil {
		t.Fatal(err)
	}
	reg := collect(ofType(wire.TypeRegistered))
	if !reg.Resumed || len(reg.Calls) != 1 || reg.Calls[0].Call != id || reg.Calls[0].State != "active" {
		t.Fatalf("resume: %+v", reg)
	}
	collect(func(m *wire.Message) bool { return m.Candidate != nil && m.Candidate.Candidate == "candidate:3" })
	if m := b.Expect(wire.TypeSDP, id); m.SDP != "v=0 queued" {
		t.Fatalf("bob got %+v", m)
	}
	// Bob hangs up; alice hears it once.
	b.Send(&wire.Message{Type: wire.TypeHangup, Call: id})
	collect(ofType(wire.TypeEnded))

	var cands []string
	var last uint64
	for _, m := range seen {
		if m.SN != 0 {
			if m.SN <= last {
				t.Errorf("sn %d after %d: duplicate or out of order", m.SN, last)
			}
			last = m.SN
		}
		if m.Type == wire.TypeICE {
			cands = append(cands, m.Candidate.Candidate)
		}
	}
	if got := strings.Join(cands, ","); got != "candidate:0,candidate:1,candidate:2,candidate:3" {
		t.Fatalf("candidates: %s", got)
	}
	if st := srv.Switchboard().Stats(); st.Resumes != 1 || st.PeerLost != 0 {
		t.Fatalf("server stats %+v", st)
	}
}

func TestRejected(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	servertest.Register(t, srv.Addrs.URL, alice) // binds alice to another key
	a := start(t, sigclient.Config{URL: srv.Addrs.URL, Number: alice})
	err := <-a.errc
	var re *sigclient.RejectedError
	if !errors.Is(err, sigclient.ErrRejected) || !errors.As(err, &re) || re.Code != wire.CodeAuthFailed {
		t.Fatalf("Run: %v", err)
	}

	inv := servertest.New(t, servertest.Options{Registration: "invite"})
	b := start(t, sigclient.Config{URL: inv.Addrs.URL, Number: bob, Invite: "AAAA-BBBB-CCCC-DDDD"})
	if err := <-b.errc; !errors.As(err, &re) || re.Code != wire.CodeInviteInvalid {
		t.Fatalf("Run with a bad invite: %v", err)
	}
}

func TestReplacedElsewhere(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := start(t, sigclient.Config{URL: srv.Addrs.URL, Number: alice})
	a.next(t, ofType(wire.TypeRegistered))
	// Someone holding alice's key... is alice on another device; this one
	// stops rather than fight for the number.
	other := servertest.Dial(t, srv.Addrs.URL)
	other.Number = alice
	other.Key = keyOf(t, a)
	if m := other.Login("", ""); m.Type != wire.TypeRegistered {
		t.Fatalf("other device: %s", m.Type)
	}
	err := <-a.errc
	var re *sigclient.RejectedError
	if !errors.Is(err, sigclient.ErrReplaced) || !errors.Is(err, sigclient.ErrRejected) ||
		!errors.As(err, &re) || re.Code != wire.CodeReplaced {
		t.Fatalf("Run: %v; want the replaced error", err)
	}
	if got := sigclient.Reason(err); !strings.Contains(got, "connected again elsewhere") {
		t.Fatalf("Reason: %q", got)
	}
	// Run has returned, so the client will not connect again; the other
	// connection still holds the session, and the server saw exactly the
	// two registrations.
	seq := other.Send(&wire.Message{Type: wire.TypePing})
	if m := other.ExpectReply(seq); m.Type != wire.TypePong {
		t.Fatalf("the other connection got %s %s; want pong", m.Type, m.Code)
	}
	if ms := other.Drain(); len(ms) != 0 {
		t.Fatalf("the other connection got %v", ms)
	}
	if st := srv.Switchboard().Stats(); st.Registrations != 2 {
		t.Fatalf("server registrations %d; want 2 (no reconnect)", st.Registrations)
	}
}

func TestPatience(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	a := start(t, sigclient.Config{URL: addr, Number: alice, Patience: 200 * time.Millisecond})
	// Each failed attempt is told, with why, before Run gives up.
	if m := a.next(t, func(m *wire.Message) bool { return m.Type == sigclient.TypeRetrying }); m.Message == "" {
		t.Fatalf("retrying without a reason: %+v", m)
	}
	if err := <-a.errc; err == nil || !strings.Contains(err.Error(), "reaching the server") {
		t.Fatalf("Run: %v", err)
	}
}
