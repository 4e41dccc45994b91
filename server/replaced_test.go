package server_test

import (
	"errors"
	"testing"

	"github.com/coder/websocket"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// A device that registers afresh pushes its own older connection off: the
// old one is told replaced (then auth-failed, for clients that predate the
// code), in that order, and closed; the new one keeps the number.
func TestRegistrationReplaced(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	old := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	id, _, _ := setUp(t, b, old)

	again := servertest.Dial(t, srv.Addrs.URL)
	again.Number, again.Key = alice, old.Key
	if m := again.Login("", ""); m.Type != wire.TypeRegistered {
		t.Fatalf("re-registration got %s %s", m.Type, m.Code)
	}

	first := old.Expect(wire.TypeError, "")
	if first.Code != wire.CodeReplaced || first.Re != 0 {
		t.Fatalf("old connection got error %s (re %d) %q first; want %s", first.Code, first.Re, first.Message, wire.CodeReplaced)
	}
	if first.Message == "" {
		t.Fatal("replaced carries no message")
	}
	if m := old.Expect(wire.TypeError, ""); m.Code != wire.CodeAuthFailed {
		t.Fatalf("old connection got %s second; want %s for older clients", m.Code, wire.CodeAuthFailed)
	}
	_, err := old.NextErr(func(*wire.Message) bool { return false })
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Reason != "replaced" {
		t.Fatalf("old connection ended with %v; want a close with reason replaced", err)
	}
	if m := b.Expect(wire.TypeEnded, id); m.Reason != wire.ReasonPeerLost {
		t.Fatalf("bob's call ended %q; want %q", m.Reason, wire.ReasonPeerLost)
	}

	// The new connection has the number: it is reachable and answers.
	id2, _, _ := setUp(t, b, again)
	if id2 == id {
		t.Fatal("the new call has the old call's ID")
	}
}
