package switchboard

import (
	"crypto/ed25519"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/call/wire"
)

// sign answers the link-request in p's outbox; bad signs with another key.
func (p *party) sign(t testing.TB, bad bool) *wire.Message {
	req := p.out.expect(t, wire.TypeLinkRequest)
	cert := identity.LinkCert{Number: req.Number, Name: req.Device, Device: req.Key,
		By: p.key.Public().(ed25519.PublicKey), At: time.Unix(req.At, 0).UTC()}
	sig := ed25519.Sign(p.key, cert.Bytes())
	if bad {
		sig[0] ^= 1
	}
	p.send(&wire.Message{Type: wire.TypeLinkCert, Key: req.Key, Device: req.Device, At: req.At, Sig: sig})
	return req
}

// link has linker make a code and a new device join with it, linker
// signing (or signing wrong); it returns the new party and its answer.
func (b *board) link(t *testing.T, linker *party, name string, bad bool) (*party, *wire.Message) {
	t.Helper()
	seq := linker.send(&wire.Message{Type: wire.TypeLinkNew})
	code := linker.out.next(t, func(m *wire.Message) bool { return m.Re == seq })
	if code.Type != wire.TypeLinkCode {
		t.Fatalf("link-new: %s %s", code.Code, code.Message)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	p := &party{number: linker.number, key: key, out: newOutbox()}
	p.conn = b.Connect(p.out, "test")
	p.send(&wire.Message{Type: wire.TypeHello, Number: p.number, Key: key.Public().(ed25519.PublicKey), Link: code.Link, Device: name})
	ch := p.out.expect(t, wire.TypeChallenge)
	// The proof waits in Handle for the linker's signature.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.send(&wire.Message{Type: wire.TypeProof, Sig: ed25519.Sign(key, wire.ProofMessage(p.number, ch.Nonce))})
	}()
	linker.sign(t, bad)
	wg.Wait()
	p.reg = p.out.next(t, func(m *wire.Message) bool { return m.Type == wire.TypeRegistered || m.Type == wire.TypeError })
	return p, p.reg
}

func TestRingSemanticsAcrossDevices(t *testing.T) {
	for _, tc := range []struct {
		name string
		play func(t *testing.T, b *board, caller, one, two *party, id wire.CallID)
	}{
		{"refused by one rings on the other, which answers", func(t *testing.T, b *board, caller, one, two *party, id wire.CallID) {
			one.send(&wire.Message{Type: wire.TypeRefuse, Call: id})
			one.out.expect(t, wire.TypeRefused)
			two.send(&wire.Message{Type: wire.TypeAccept, Call: id})
			caller.out.expect(t, wire.TypeAccepted)
			two.out.expect(t, wire.TypeAccepted)
		}},
		{"refused by both is refused", func(t *testing.T, b *board, caller, one, two *party, id wire.CallID) {
			one.send(&wire.Message{Type: wire.TypeRefuse, Call: id})
			two.send(&wire.Message{Type: wire.TypeRefuse, Call: id})
			caller.out.expect(t, wire.TypeRefused)
		}},
		{"a device that goes rings no more, the other answers", func(t *testing.T, b *board, caller, one, two *party, id wire.CallID) {
			one.send(&wire.Message{Type: wire.TypeBye})
			two.send(&wire.Message{Type: wire.TypeAccept, Call: id})
			caller.out.expect(t, wire.TypeAccepted)
		}},
		{"a device that registers while it rings rings too", func(t *testing.T, b *board, caller, one, two *party, id wire.CallID) {
			one.send(&wire.Message{Type: wire.TypeBye})
			one.login(t, b, "", 0)
			in := one.out.expect(t, wire.TypeIncoming)
			if in.Call != id {
				t.Fatalf("the device that came back rings for %s", in.Call)
			}
			one.send(&wire.Message{Type: wire.TypeAccept, Call: id})
			caller.out.expect(t, wire.TypeAccepted)
			if c := two.out.expect(t, wire.TypeCancelled); c.Reason != wire.ReasonAnsweredElsewhere || c.Device != "one" {
				t.Fatalf("the other device was told %s %q", c.Reason, c.Device)
			}
		}},
		{"the caller cancels: every device hears it", func(t *testing.T, b *board, caller, one, two *party, id wire.CallID) {
			caller.send(&wire.Message{Type: wire.TypeCancel, Call: id})
			one.out.expect(t, wire.TypeCancelled)
			two.out.expect(t, wire.TypeCancelled)
		}},
		{"glare: the device that dials answers", func(t *testing.T, b *board, caller, one, two *party, id wire.CallID) {
			two.send(&wire.Message{Type: wire.TypeDial, To: caller.number})
			if a := two.out.expect(t, wire.TypeAccepted); a.Call != id {
				t.Fatalf("glare accepted %s", a.Call)
			}
			caller.out.expect(t, wire.TypeAccepted)
			if c := one.out.expect(t, wire.TypeCancelled); c.Reason != wire.ReasonAnsweredElsewhere {
				t.Fatalf("the other device was told %s", c.Reason)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBoard(t, Config{})
			caller := b.register(t, "+15550000001")
			one := &party{number: "+15550000002"}
			_, one.key, _ = ed25519.GenerateKey(nil)
			one.out = newOutbox()
			one.conn = b.Connect(one.out, "test")
			one.send(&wire.Message{Type: wire.TypeHello, Number: one.number, Key: one.key.Public().(ed25519.PublicKey), Device: "one"})
			ch := one.out.expect(t, wire.TypeChallenge)
			one.send(&wire.Message{Type: wire.TypeProof, Sig: ed25519.Sign(one.key, wire.ProofMessage(one.number, ch.Nonce))})
			if r := one.out.expect(t, wire.TypeRegistered); r.Device != "one" {
				t.Fatalf("first device registered as %q", r.Device)
			}
			two, reg := b.link(t, one, "two", false)
			if reg.Type != wire.TypeRegistered || reg.Device != "two" || len(reg.Chain) != 1 {
				t.Fatalf("linking: %s %s %q", reg.Type, reg.Code, reg.Device)
			}
			caller.send(&wire.Message{Type: wire.TypeDial, To: one.number})
			id := caller.out.expect(t, wire.TypeRinging).Call
			one.out.expect(t, wire.TypeIncoming)
			two.out.expect(t, wire.TypeIncoming)
			tc.play(t, b, caller, one, two, id)
		})
	}
}

func TestLinkRefusals(t *testing.T) {
	b := newBoard(t, Config{})
	root := b.register(t, "+15550000002")
	if _, reg := b.link(t, root, "bad", true); reg.Code != wire.CodeLinkUnconfirmed {
		t.Fatalf("a certificate signed wrong: %s %s", reg.Type, reg.Code)
	}
	if e := root.out.expect(t, wire.TypeError); e.Code != wire.CodeLinkUnconfirmed {
		t.Fatalf("the linking device was told %s", e.Code)
	}
	// A certificate nobody asked for.
	root.send(&wire.Message{Type: wire.TypeLinkCert, Key: make([]byte, 32), Device: "x", At: 1, Sig: make([]byte, 64)})
	if e := root.out.expect(t, wire.TypeError); e.Code != wire.CodeWrongState {
		t.Fatalf("an unasked certificate: %s", e.Code)
	}
	// Names are unique within the number; the server numbers a repeat.
	b.forgetLinkLimits() // the attempts above count against the limit
	_, reg := b.link(t, root, "laptop", false)
	_, again := b.link(t, root, "laptop", false)
	if reg.Device != "laptop" || again.Device != "laptop 2" {
		t.Fatalf("two laptops named %q and %q", reg.Device, again.Device)
	}
	// The bound: eight devices.
	for i := 3; i < wire.MaxDevices; i++ {
		b.forgetLinkLimits()
		if _, r := b.link(t, root, fmt.Sprint("d", i), false); r.Type != wire.TypeRegistered {
			t.Fatalf("device %d: %s %s", i+1, r.Code, r.Message)
		}
	}
	b.forgetLinkLimits()
	seq := root.send(&wire.Message{Type: wire.TypeLinkNew})
	code := root.out.next(t, func(m *wire.Message) bool { return m.Re == seq })
	_, key, _ := ed25519.GenerateKey(nil)
	p := &party{number: root.number, key: key, out: newOutbox()}
	p.conn = b.Connect(p.out, "test")
	p.send(&wire.Message{Type: wire.TypeHello, Number: p.number, Key: key.Public().(ed25519.PublicKey), Link: code.Link})
	ch := p.out.expect(t, wire.TypeChallenge)
	p.send(&wire.Message{Type: wire.TypeProof, Sig: ed25519.Sign(key, wire.ProofMessage(p.number, ch.Nonce))})
	if e := p.out.expect(t, wire.TypeError); e.Code != wire.CodeDeviceLimit {
		t.Fatalf("a ninth device: %s %s", e.Code, e.Message)
	}
	if p.out.closed != string(wire.CodeDeviceLimit) {
		t.Fatalf("the refused connection closed with %q", p.out.closed)
	}
}

// forgetLinkLimits refills the link rate limits.
func (b *board) forgetLinkLimits() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.links.perNumber)
	clear(b.links.perSource)
	clear(b.links.codes)
}

// TestLineDevices: a line's devices stay one per key, in key order.
func TestLineDevices(t *testing.T) {
	l := &line{}
	keys := func() (out []string) {
		for _, s := range l.devices {
			out = append(out, s.key+"/"+s.name)
		}
		return out
	}
	for _, s := range []*session{{key: "c", name: "1"}, {key: "a", name: "1"}, {key: "b", name: "1"}, {key: "a", name: "2"}} {
		l.setDevice(s)
	}
	if got, want := fmt.Sprint(keys()), "[a/2 b/1 c/1]"; got != want {
		t.Fatalf("devices %s, want %s", got, want)
	}
	if s := l.device("b"); s == nil || s.name != "1" || l.device("x") != nil {
		t.Fatalf("device(b) = %v, device(x) = %v", s, l.device("x"))
	}
	l.removeDevice("a")
	l.removeDevice("x")
	if got, want := fmt.Sprint(keys()), "[b/1 c/1]"; got != want {
		t.Fatalf("after removing a: %s, want %s", got, want)
	}
	l.removeDevice("b")
	l.removeDevice("c")
	if l.devices != nil {
		t.Fatalf("an emptied line holds %v", l.devices)
	}
}
