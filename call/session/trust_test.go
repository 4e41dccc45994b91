package session_test

import (
	"crypto/ed25519"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// memKeys pins in memory.
type memKeys struct {
	mu      sync.Mutex
	pins    map[string][]identity.Pin
	changed map[string]identity.Pin
}

func newMemKeys() *memKeys {
	return &memKeys{pins: map[string][]identity.Pin{}, changed: map[string]identity.Pin{}}
}

func (k *memKeys) Pins(n string) ([]identity.Pin, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.pins[n]), nil
}

func (k *memKeys) Pin(n string, p identity.Pin) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pins[n] = append(k.pins[n], p)
	return nil
}

func (k *memKeys) Changed(n string, p identity.Pin) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.changed[n] = p
	return nil
}

func (k *memKeys) verify(n string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := range k.pins[n] {
		k.pins[n][i].Verified = true
	}
}

// trusted gives a phone a key and a key store.
func trusted(key ed25519.PrivateKey, keys *memKeys, more ...func(*session.Config)) func(*session.Config) {
	return func(c *session.Config) {
		c.Sig.Key, c.Keys = key, keys
		for _, f := range more {
			f(c)
		}
	}
}

// trustOf waits for the trust event of call id.
func trustOf(t *testing.T, ph *phone, id call.ID) call.Trust {
	t.Helper()
	return *ph.wait(t, call.EventTrust, id).Trust
}

// TestHonestServerSafetyCodesMatch: through an honest server, with real
// media, both phones see a valid statement, pin each other on first use,
// and show the same safety code; the next call finds the pins, and after
// the user marks the number verified, the call is verified.
func TestHonestServerSafetyCodesMatch(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	ka, kb := newMemKeys(), newMemKeys()
	a := newPhone(t, alice, opts{url: srv.Addrs.URL, factory: pionMedia, prep: trusted(servertest.NewKey(), ka, withDevices(t, 440))})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL, factory: pionMedia, prep: trusted(servertest.NewKey(), kb, withDevices(t, 660))})
	var code string
	for i, want := range []call.TrustState{call.TrustNew, call.TrustPinned, call.TrustVerified} {
		id := connect(t, a, b)
		ta, tb := trustOf(t, a, id), trustOf(t, b, id)
		if ta.State != want || tb.State != want {
			t.Fatalf("call %d: trust %+v / %+v, want %s", i, ta, tb, want)
		}
		if ta.SafetyCode == "" || ta.SafetyCode != tb.SafetyCode {
			t.Fatalf("call %d: safety codes %q and %q differ", i, ta.SafetyCode, tb.SafetyCode)
		}
		if code != "" && ta.SafetyCode != code {
			t.Fatalf("call %d: safety code changed from %q to %q with the same keys", i, code, ta.SafetyCode)
		}
		code = ta.SafetyCode
		if i == 0 {
			waitFrames(t, a, id, 5)
			waitFrames(t, b, id, 5)
		}
		a.Hangup(id)
		if e := a.wait(t, call.EventEnded, id); e.Trust == nil || e.Trust.SafetyCode != code {
			t.Fatalf("ended without the call's trust: %+v", e.Trust)
		}
		b.wait(t, call.EventEnded, id)
		if i == 1 {
			ka.verify(bob)
			kb.verify(alice)
		}
	}
}

// TestKeyChangeRefused: a pinned number that comes back with another key
// (a reinstalled phone, or someone in the middle) is not connected; the
// new key waits for the user, and the pin stays as it was.
func TestKeyChangeRefused(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	ka := newMemKeys()
	a := newPhone(t, alice, opts{url: srv.Addrs.URL, prep: trusted(servertest.NewKey(), ka)})
	oldBob := servertest.NewKey()
	ka.Pin(bob, identity.Pin{Key: oldBob.Public().(ed25519.PublicKey), At: time.Now(), Verified: true})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL, prep: trusted(servertest.NewKey(), newMemKeys())})
	id, err := a.Dial(t.Context(), bob)
	if err != nil {
		t.Fatal(err)
	}
	b.wait(t, call.EventIncoming, id)
	b.Accept(id)
	tr := trustOf(t, a, id)
	if tr.State != call.TrustKeyChanged || tr.Pinned != identity.KeyID(oldBob.Public().(ed25519.PublicKey)) || tr.Detail == "" || !tr.WasVerified {
		t.Fatalf("trust %+v", tr)
	}
	e := a.wait(t, call.EventEnded, id)
	if e.Reason != session.ReasonKeyChanged || e.Trust == nil || e.Trust.State != call.TrustKeyChanged {
		t.Fatalf("ended %+v", e)
	}
	expectKinds(t, a, id, "ringing accepted trust ended(key-changed)")
	pins, _ := ka.Pins(bob)
	if len(pins) != 1 || !pins[0].Key.Equal(oldBob.Public().(ed25519.PublicKey)) || !pins[0].Verified {
		t.Fatalf("the pin changed: %+v", pins)
	}
	if ch, ok := ka.changed[bob]; !ok || ch.Key.Equal(oldBob.Public().(ed25519.PublicKey)) {
		t.Fatalf("the new key is not kept for the user: %+v", ka.changed)
	}
}

// TestNewDeviceVouched: a device linked to a pinned number presents its
// link certificate; the phone sees who vouched for it, pins it as new, and
// shows it as new until the user confirms. A chain that does not lead to a
// pinned device is a key change, and a forged one too.
func TestNewDeviceVouched(t *testing.T) {
	root, laptop := servertest.NewKey(), servertest.NewKey()
	rootPub, laptopPub := root.Public().(ed25519.PublicKey), laptop.Public().(ed25519.PublicKey)
	cert := identity.LinkCert{Number: bob, Name: "laptop", Device: laptopPub, By: rootPub, At: time.Unix(1_800_000_000, 0)}
	sig, err := identity.SignLink(cert, root)
	if err != nil {
		t.Fatal(err)
	}
	good := []wire.Signed{{Body: cert.Bytes(), Sig: sig}}
	forged := cert
	forged.Name = "evil"
	tests := []struct {
		name  string
		chain []wire.Signed
		want  call.TrustState
	}{
		{"vouched", good, call.TrustNewDevice},
		{"forged", []wire.Signed{{Body: forged.Bytes(), Sig: sig}}, call.TrustKeyChanged},
		{"no chain", nil, call.TrustKeyChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := servertest.New(t, servertest.Options{})
			ka := newMemKeys()
			ka.Pin(bob, identity.Pin{Key: rootPub, Verified: true})
			a := newPhone(t, alice, opts{url: srv.Addrs.URL, prep: trusted(servertest.NewKey(), ka)})
			b := newPhone(t, bob, opts{url: srv.Addrs.URL, prep: trusted(laptop, newMemKeys(), func(c *session.Config) { c.Chain = tt.chain })})
			for round := range 2 {
				id, err := a.Dial(t.Context(), bob)
				if err != nil {
					t.Fatal(err)
				}
				b.wait(t, call.EventIncoming, id)
				b.Accept(id)
				tr := trustOf(t, a, id)
				if tr.State != tt.want {
					t.Fatalf("round %d: trust %+v, want %s", round, tr, tt.want)
				}
				if tt.want == call.TrustNewDevice && (tr.VouchedBy != "first device" || tr.Device != "laptop") {
					t.Fatalf("round %d: vouched %+v", round, tr)
				}
				if tt.want.Carries() {
					a.wait(t, call.EventConnected, id)
					a.Hangup(id)
				}
				a.wait(t, call.EventEnded, id)
				b.wait(t, call.EventEnded, id)
			}
			pins, _ := ka.Pins(bob)
			if tt.want == call.TrustNewDevice && (len(pins) != 2 || !pins[1].New || pins[1].Verified) {
				t.Fatalf("pins %+v", pins)
			}
			if tt.want != call.TrustNewDevice && len(pins) != 1 {
				t.Fatalf("a key was pinned without a chain to a pinned device: %+v", pins)
			}
		})
	}
}
