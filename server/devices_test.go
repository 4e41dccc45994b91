package server_test

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
	"github.com/dialtone/dialtone/server/store"
)

// twoDevices registers alice's first device and links a second, "laptop".
func twoDevices(t *testing.T, srv *servertest.Server) (first, laptop *servertest.Client) {
	t.Helper()
	first = servertest.Register(t, srv.Addrs.URL, alice)
	laptop, reg := servertest.LinkDevice(t, srv.Addrs.URL, first, "laptop")
	if reg.Device != "laptop" || len(reg.Chain) != 1 {
		t.Fatalf("linked device registered as %q with %d certificates", reg.Device, len(reg.Chain))
	}
	cert, err := identity.ParseLink(reg.Chain[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := identity.VerifyLink(cert, reg.Chain[0].Sig); err != nil {
		t.Fatalf("the chain's certificate: %v", err)
	}
	if !cert.By.Equal(first.Key.Public().(ed25519.PublicKey)) || !cert.Device.Equal(laptop.Key.Public().(ed25519.PublicKey)) ||
		cert.Number != alice || cert.Name != "laptop" {
		t.Fatalf("certificate %+v is not the first device vouching for the laptop", cert)
	}
	return first, laptop
}

// ring dials alice from caller and waits for both devices to ring.
func ring(t *testing.T, caller *servertest.Client, devices ...*servertest.Client) wire.CallID {
	t.Helper()
	r := caller.ExpectReply(caller.Send(&wire.Message{Type: wire.TypeDial, To: alice}))
	if r.Type != wire.TypeRinging {
		t.Fatalf("dial answered %s %s %s", r.Type, r.Code, r.Message)
	}
	for _, d := range devices {
		d.Expect(wire.TypeIncoming, r.Call)
	}
	return r.Call
}

// Either device can answer; the other stops ringing and is told which
// device took the call.
func TestDevicesRingAndEitherAnswers(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	first, laptop := twoDevices(t, srv)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	for _, tc := range []struct {
		name           string
		answers, other *servertest.Client
		device         string
	}{
		{"laptop answers", laptop, first, "laptop"},
		{"first device answers", first, laptop, store.FirstDevice},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := ring(t, b, first, laptop)
			tc.answers.Send(&wire.Message{Type: wire.TypeAccept, Call: id})
			b.Expect(wire.TypeAccepted, id)
			tc.answers.Expect(wire.TypeAccepted, id)
			m := tc.other.Expect(wire.TypeCancelled, id)
			if m.Reason != wire.ReasonAnsweredElsewhere || m.Device != tc.device {
				t.Fatalf("the other device got cancelled %q %q, want %q %q", m.Reason, m.Device, wire.ReasonAnsweredElsewhere, tc.device)
			}
			// Too late to accept on the other device.
			if e := tc.other.ExpectReply(tc.other.Send(&wire.Message{Type: wire.TypeAccept, Call: id})); e.Code != wire.CodeUnknownCall {
				t.Fatalf("late accept answered %s %s", e.Type, e.Code)
			}
			// Media flows between the answering device and the caller only.
			tc.answers.Send(&wire.Message{Type: wire.TypeMediaState, Call: id, Camera: wire.CameraOn})
			b.Expect(wire.TypeMediaState, id)
			seq := b.Send(&wire.Message{Type: wire.TypeHangup, Call: id})
			b.ExpectReply(seq)
			tc.answers.Expect(wire.TypeEnded, id)
		})
	}
}

// A refusal on one device leaves the call ringing on the other; it is
// refused when every device has refused.
func TestRefusedWhenEveryDeviceRefuses(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	first, laptop := twoDevices(t, srv)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	id := ring(t, b, first, laptop)
	if m := first.ExpectReply(first.Send(&wire.Message{Type: wire.TypeRefuse, Call: id})); m.Type != wire.TypeRefused {
		t.Fatalf("refuse answered %s %s", m.Type, m.Code)
	}
	// Still ringing: the caller has heard nothing of the refusal (the pong
	// comes after anything the refusal sent it).
	b.ExpectReply(b.Send(&wire.Message{Type: wire.TypePing}))
	for _, m := range b.Drain() {
		if m.Type == wire.TypeRefused || m.Type == wire.TypeEnded {
			t.Fatalf("one device's refusal told the caller %s", m.Type)
		}
	}
	laptop.Send(&wire.Message{Type: wire.TypeHangup, Call: id}) // a hang-up while it rings is a refusal
	b.Expect(wire.TypeRefused, id)
	for _, m := range b.Drain() {
		if m.Type == wire.TypeRefused {
			t.Fatalf("caller told refused twice")
		}
	}
}

// A missed call reaches every device, and each acknowledges it for itself.
func TestMissedCallsOnEveryDevice(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	first, laptop := twoDevices(t, srv)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	id := ring(t, b, first, laptop)
	b.ExpectReply(b.Send(&wire.Message{Type: wire.TypeCancel, Call: id}))
	first.Expect(wire.TypeCancelled, id)
	laptop.Expect(wire.TypeCancelled, id)

	relogin := func(d *servertest.Client) (*servertest.Client, []wire.Missed) {
		t.Helper()
		again := servertest.Dial(t, srv.Addrs.URL)
		again.Number, again.Key = d.Number, d.Key
		m := again.Login("", "")
		if m.Type != wire.TypeRegistered {
			t.Fatalf("re-registering: %s %s", m.Type, m.Code)
		}
		return again, m.Missed
	}
	for _, d := range []*servertest.Client{first, laptop} {
		if _, ms := relogin(d); len(ms) != 1 || ms[0].Call != id {
			t.Fatalf("a device got missed calls %+v, want the one call", ms)
		}
	}
	first, _ = relogin(first)
	first.Send(&wire.Message{Type: wire.TypeMissedAck, ID: 1 << 40})
	first.ExpectReply(first.Send(&wire.Message{Type: wire.TypePing}))
	if _, ms := relogin(first); len(ms) != 0 {
		t.Fatalf("acknowledged missed calls came back: %+v", ms)
	}
	if _, ms := relogin(laptop); len(ms) != 1 {
		t.Fatalf("one device's acknowledgement took the other's missed call: %+v", ms)
	}
}

// Call waiting and busy count the number's calls, not a device's.
func TestBusyCountsCallsPerNumber(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	first, laptop := twoDevices(t, srv)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	c := servertest.Register(t, srv.Addrs.URL, carol)
	d := servertest.Register(t, srv.Addrs.URL, dave)
	id := ring(t, b, first, laptop)
	first.Send(&wire.Message{Type: wire.TypeAccept, Call: id})
	b.Expect(wire.TypeAccepted, id)
	// The laptop is idle, but the number is in a call: carol waits.
	r := c.ExpectReply(c.Send(&wire.Message{Type: wire.TypeDial, To: alice}))
	if in := laptop.Expect(wire.TypeIncoming, r.Call); !in.Waiting {
		t.Fatal("the second call to the number is not call waiting on the idle device")
	}
	if r := d.ExpectReply(d.Send(&wire.Message{Type: wire.TypeDial, To: alice})); r.Type != wire.TypeBusy {
		t.Fatalf("a third call to a number with two answered %s", r.Type)
	}
}

// Unlinking a device closes its connection at once and its key cannot
// register again; the operator's unlink, made by another process, too.
func TestUnlinkTakesEffectAtOnce(t *testing.T) {
	dir := t.TempDir()
	srv := servertest.New(t, servertest.Options{DataDir: dir})
	first, laptop := twoDevices(t, srv)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	id := ring(t, b, first, laptop)

	m := first.ExpectReply(first.Send(&wire.Message{Type: wire.TypeUnlink, Device: "laptop"}))
	if m.Type != wire.TypeUnlinked || m.Device != "laptop" {
		t.Fatalf("unlink answered %s %s %s", m.Type, m.Code, m.Message)
	}
	if e := laptop.Expect(wire.TypeError, ""); e.Code != wire.CodeUnlinked {
		t.Fatalf("the unlinked device was told %s", e.Code)
	}
	if err := laptop.WaitClosed(); err != nil {
		t.Fatal(err)
	}
	// The call rings on, on the device that is left.
	first.Send(&wire.Message{Type: wire.TypeAccept, Call: id})
	b.Expect(wire.TypeAccepted, id)

	again := servertest.Dial(t, srv.Addrs.URL)
	again.Number, again.Key = alice, laptop.Key
	if m := again.Login("", ""); m.Code != wire.CodeUnlinked {
		t.Fatalf("the unlinked key registering got %s %s", m.Type, m.Code)
	}
	list := first.ExpectReply(first.Send(&wire.Message{Type: wire.TypeListDevices}))
	if len(list.Devices) != 1 || list.Devices[0].Name != store.FirstDevice || !list.Devices[0].This || !list.Devices[0].Online {
		t.Fatalf("devices after unlink: %+v", list.Devices)
	}
	if e := first.ExpectReply(first.Send(&wire.Message{Type: wire.TypeUnlink, Device: store.FirstDevice})); e.Code != wire.CodeWrongState {
		t.Fatalf("unlinking the only device answered %s %s", e.Type, e.Code)
	}
	if e := first.ExpectReply(first.Send(&wire.Message{Type: wire.TypeUnlink, Device: "nope"})); e.Code != wire.CodeUnknownDevice {
		t.Fatalf("unlinking no such device answered %s %s", e.Type, e.Code)
	}

	// The operator unlinks through the store while the server runs.
	tablet, _ := servertest.LinkDevice(t, srv.Addrs.URL, first, "tablet")
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.RemoveDevice(context.Background(), alice, "tablet"); err != nil {
		t.Fatal(err)
	}
	if e := tablet.Expect(wire.TypeError, ""); e.Code != wire.CodeUnlinked {
		t.Fatalf("the device the operator unlinked was told %s", e.Code)
	}
}

func TestLinkCodesRefused(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	first := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	try := func(number, code string) *wire.Message {
		t.Helper()
		d := servertest.Dial(t, srv.Addrs.URL)
		d.Number, d.Key, d.Link, d.Device = number, servertest.NewKey(), code, "x"
		return d.Login("", "")
	}

	code := first.LinkCode()
	servertest.LinkDevice(t, srv.Addrs.URL, first, "laptop") // makes a new code and spends it
	if m := try(alice, code); m.Code != wire.CodeLinkInvalid {
		t.Fatalf("a code replaced by a newer one: %s %s", m.Type, m.Code)
	}
	code = first.LinkCode()
	if m := try(bob, code); m.Code != wire.CodeLinkWrongNumber {
		t.Fatalf("another number's code: %s %s", m.Type, m.Code)
	}
	if m := try(alice, code); m.Code != wire.CodeLinkUsed {
		t.Fatalf("a code shown to the wrong number, then to the right one: %s %s", m.Type, m.Code)
	}
	_ = b
	// Guessing: the number's attempts run out, whatever is guessed.
	var last *wire.Message
	for range 6 {
		last = try(alice, "AAAA-BBBB-CCCC-DDDD")
		if last.Code == wire.CodeLinkLimited {
			break
		}
		if last.Code != wire.CodeLinkInvalid {
			t.Fatalf("a guessed code: %s %s", last.Type, last.Code)
		}
	}
	if last.Code != wire.CodeLinkLimited {
		t.Fatalf("guessing was not limited: %s %s", last.Type, last.Code)
	}
	// Nor can the right code get through now.
	if m := try(alice, first.LinkCode()); m.Code != wire.CodeLinkLimited {
		t.Fatalf("after the limit a real code got %s %s", m.Type, m.Code)
	}
}

// A device that made a code but is gone cannot confirm the new device.
func TestLinkNeedsTheLinkingDevice(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	first := servertest.Register(t, srv.Addrs.URL, alice)
	code := first.LinkCode()
	first.Close()
	first.WaitClosed()
	d := servertest.Dial(t, srv.Addrs.URL)
	d.Number, d.Key, d.Link = alice, servertest.NewKey(), code
	if m := d.Login("", ""); m.Code != wire.CodeLinkUnconfirmed {
		t.Fatalf("linking with the linking device gone: %s %s", m.Type, m.Code)
	}
}

// An answer that finds no address ends the call on every device it rang on,
// not only on the one that answered.
func TestNoCapacityEndsOnEveryDevice(t *testing.T) {
	srv := servertest.New(t, servertest.Options{Pool: "127.77.9.2/32", PortLo: 40000, PortHi: 40002})
	first, laptop := twoDevices(t, srv)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	c := servertest.Register(t, srv.Addrs.URL, carol)
	d := servertest.Register(t, srv.Addrs.URL, dave)
	setUp(t, b, c) // two of three addresses
	r := d.ExpectReply(d.Send(&wire.Message{Type: wire.TypeDial, To: alice}))
	first.Expect(wire.TypeIncoming, r.Call)
	laptop.Expect(wire.TypeIncoming, r.Call)
	laptop.Send(&wire.Message{Type: wire.TypeAccept, Call: r.Call})
	for _, p := range []*servertest.Client{d, laptop, first} {
		if m := p.Expect(wire.TypeEnded, r.Call); m.Reason != wire.ReasonNoCapacity {
			t.Fatalf("%s got ended %q", p.Number, m.Reason)
		}
	}
}

// The lease stays per number: a call answered on the linked device leases
// the number one address, which the DNS answers for the number, and a
// second call to it while the first lives shares that lease.
func TestLeasePerNumberWithDevices(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	first, laptop := twoDevices(t, srv)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	c := servertest.Register(t, srv.Addrs.URL, carol)
	id := ring(t, b, first, laptop)
	laptop.Send(&wire.Message{Type: wire.TypeAccept, Call: id})
	acc := laptop.Expect(wire.TypeAccepted, id)
	b.Expect(wire.TypeAccepted, id)
	r := query(t, srv.Addrs.DNS, number.Number(alice).Digits()+"."+zone, dns.TypeA, "udp")
	if len(r.Answer) != 1 || !strings.HasPrefix(acc.LocalLease, r.Answer[0].(*dns.A).A.String()+":") {
		t.Fatalf("the number's A record %v, the answering device's lease %s", r.Answer, acc.LocalLease)
	}
	// Call waiting on the idle first device: answering it ends nothing of
	// the laptop's, and the number keeps its one lease.
	w := c.ExpectReply(c.Send(&wire.Message{Type: wire.TypeDial, To: alice}))
	first.Expect(wire.TypeIncoming, w.Call)
	first.Send(&wire.Message{Type: wire.TypeAccept, Call: w.Call})
	acc2 := first.Expect(wire.TypeAccepted, w.Call)
	if acc2.LocalLease != acc.LocalLease {
		t.Fatalf("the number's second call leased %s beside %s", acc2.LocalLease, acc.LocalLease)
	}
	b.ExpectReply(b.Send(&wire.Message{Type: wire.TypePing}))
	for _, m := range b.Drain() {
		if m.Type == wire.TypeEnded {
			t.Fatalf("the other device's answer ended the laptop's call")
		}
	}
}
