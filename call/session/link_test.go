package session_test

import (
	"context"
	"crypto/ed25519"
	"testing"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// One phone links a second to its number; a call rings on both, the second
// answers, and the first hears where it went.
func TestLinkedPhones(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	desk := newPhone(t, alice, opts{url: srv.Addrs.URL})
	code, ttl, err := desk.LinkCode(ctx)
	if err != nil || ttl != wire.LinkTTL {
		t.Fatalf("link code: %v %v", ttl, err)
	}
	laptop := newPhone(t, alice, opts{url: srv.Addrs.URL, autoAnswer: true, prep: func(c *session.Config) {
		c.Sig.Link, c.Sig.Device = code, "laptop"
	}})
	if e := desk.wait(t, call.EventLinked, ""); e.Device != "laptop" {
		t.Fatalf("linked %q", e.Device)
	}
	ds, err := desk.Devices(ctx)
	if err != nil || len(ds) != 2 || !ds[0].This || ds[1].Name != "laptop" || ds[1].By != ds[0].Name || !ds[1].Online {
		t.Fatalf("devices %+v %v", ds, err)
	}

	b := newPhone(t, bob, opts{url: srv.Addrs.URL})
	id, err := b.Dial(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	desk.wait(t, call.EventIncoming, id)
	laptop.wait(t, call.EventAccepted, id)
	b.wait(t, call.EventAccepted, id)
	if e := desk.wait(t, call.EventCancelled, id); e.Reason != wire.ReasonAnsweredElsewhere || e.Device != "laptop" {
		t.Fatalf("the other phone heard %q %q", e.Reason, e.Device)
	}
}

// The chain the server hands a linked phone at registration goes with its
// call statements: a peer that pinned the first device sees the linked one
// as new, vouched for by the first.
func TestLinkedPhoneIsVouched(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	deskKey := servertest.NewKey()
	desk := newPhone(t, alice, opts{url: srv.Addrs.URL, prep: trusted(deskKey, newMemKeys())})
	code, _, err := desk.LinkCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	laptop := newPhone(t, alice, opts{url: srv.Addrs.URL, prep: trusted(servertest.NewKey(), newMemKeys(), func(c *session.Config) {
		c.Sig.Link, c.Sig.Device = code, "laptop"
	})})
	kb := newMemKeys()
	kb.Pin(alice, identity.Pin{Key: deskKey.Public().(ed25519.PublicKey), Verified: true})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL, autoAnswer: true, prep: trusted(servertest.NewKey(), kb)})
	id, err := laptop.Dial(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	tr := trustOf(t, b, id)
	if tr.State != call.TrustNewDevice || tr.VouchedBy != "first device" || tr.Device != "laptop" {
		t.Fatalf("the peer made %+v of the linked phone", tr)
	}
}
