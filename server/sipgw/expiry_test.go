package sipgw

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/lease"
	"github.com/dialtone/dialtone/server/store"
	"github.com/dialtone/dialtone/server/switchboard"
)

// recorder is a switchboard party's outbox that keeps what it is sent.
type recorder chan *wire.Message

func (r recorder) Send(m *wire.Message) bool {
	select {
	case r <- m:
	default:
	}
	return true
}
func (recorder) Close(string) {}

func (r recorder) expect(t *testing.T, typ wire.Type) *wire.Message {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m := <-r:
			if m.Type == typ {
				return m
			}
		case <-timeout:
			t.Fatalf("no %s for the caller", typ)
		}
	}
}

// udpPhone is a SIP phone on an unconnected UDP socket: the gateway's
// INVITEs come from its own port, not the registrar's.
type udpPhone struct {
	t    *testing.T
	pc   net.PacketConn
	to   net.Addr
	pass string
	cseq int
}

func (p *udpPhone) send(msg string, to net.Addr) {
	p.t.Helper()
	if _, err := p.pc.WriteTo([]byte(msg), to); err != nil {
		p.t.Fatal(err)
	}
}

// recv reads the next SIP message and where it came from.
func (p *udpPhone) recv() (sip.Message, net.Addr) {
	p.t.Helper()
	buf := make([]byte, 65536)
	p.pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		n, from, err := p.pc.ReadFrom(buf)
		if err != nil {
			p.t.Fatalf("reading SIP: %v", err)
		}
		m, err := sip.ParseMessage(buf[:n])
		if err != nil {
			continue // a keep-alive
		}
		return m, from
	}
}

func (p *udpPhone) register(extra ...string) string {
	p.cseq++
	local := p.pc.LocalAddr().String()
	h := []string{
		"REGISTER sip:dialtone SIP/2.0",
		fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=z9hG4bK-r%d;rport", local, p.cseq),
		"Max-Forwards: 70",
		fmt.Sprintf("From: <sip:%s@dialtone>;tag=t1", testNumber),
		fmt.Sprintf("To: <sip:%s@dialtone>", testNumber),
		"Call-ID: reg-" + local,
		fmt.Sprintf("CSeq: %d REGISTER", p.cseq),
		fmt.Sprintf("Contact: <sip:%s@%s>", testNumber, local),
	}
	return strings.Join(append(h, extra...), "\r\n") + "\r\nContent-Length: 0\r\n\r\n"
}

// registerFor registers with Expires: secs and returns the final status.
func (p *udpPhone) registerFor(secs int) int {
	p.t.Helper()
	exp := fmt.Sprintf("Expires: %d", secs)
	p.send(p.register(exp), p.to)
	m, _ := p.recv()
	res := m.(*sip.Response)
	p.send(p.register(exp, authorize(p.t, res, "MD5", testNumber, p.pass, 1)), p.to)
	m, _ = p.recv()
	return m.(*sip.Response).StatusCode
}

// withSwitchboard is a gateway with a real switchboard leasing from
// prefix, and a SIP phone on its own UDP socket that has not registered.
func withSwitchboard(t *testing.T, prefix string, tweak ...func(*Config)) (*harness, *switchboard.Switchboard, *udpPhone) {
	t.Helper()
	var sb *switchboard.Switchboard
	h := newHarness(t, func(c *Config) {
		for _, f := range tweak {
			f(c)
		}
		pool, err := lease.New(lease.Config{Prefixes: []netip.Prefix{netip.MustParsePrefix(prefix)}, PortLo: 41000, PortHi: 41999})
		if err != nil {
			t.Fatal(err)
		}
		sb, err = switchboard.New(context.Background(), switchboard.Config{Store: c.Credentials.(*store.Store), Leases: pool})
		if err != nil {
			t.Fatal(err)
		}
		c.Switchboard, c.Leases = sb, pool
	})
	sb.SetGateway(h.g)
	t.Cleanup(sb.Close)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	to, _ := net.ResolveUDPAddr("udp", h.udp)
	return h, sb, &udpPhone{t: t, pc: pc, to: to, pass: h.password}
}

// TestExpiredRegistrationDoesNotRing: a phone registers for the shortest
// time the registrar allows (below it: 423 with Min-Expires), a dial to its
// number rings it until then, and once that time has passed without a
// refresh the same dial is unavailable (offline) and sends it nothing.
func TestExpiredRegistrationDoesNotRing(t *testing.T) {
	h, sb, phone := withSwitchboard(t, "127.77.191.0/24")

	min := int(h.g.cfg.MinExpires / time.Second)
	if got := phone.registerFor(min - 1); got != 423 {
		t.Fatalf("Expires %d: %d, want 423 Interval Too Brief", min-1, got)
	}
	if got := phone.registerFor(min); got != 200 {
		t.Fatalf("Expires %d: %d, want 200", min, got)
	}

	out := make(recorder, 64)
	caller, err := sb.AttachParty("+12025550109", switchboard.ViaSIP, out, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(caller.Disconnect)
	dial := func(seq uint64) {
		caller.Handle(context.Background(), &wire.Message{V: wire.Version, Type: wire.TypeDial, Seq: seq, To: testNumber})
	}

	// A second before it expires the phone rings; the caller gives up.
	h.clock.add(time.Duration(min-1) * time.Second)
	dial(1)
	id := out.expect(t, wire.TypeRinging).Call
	m, from := phone.recv()
	inv, ok := m.(*sip.Request)
	if !ok || inv.Method != sip.INVITE {
		t.Fatalf("the phone got %v, want an INVITE", m)
	}
	phone.send(sip.NewResponseFromRequest(inv, 180, "Ringing", nil).String(), from)
	caller.Handle(context.Background(), &wire.Message{V: wire.Version, Type: wire.TypeCancel, Seq: 2, Call: id})
	out.expect(t, wire.TypeCancelled)
	for {
		m, from := phone.recv()
		if r, ok := m.(*sip.Request); ok && r.Method == sip.CANCEL {
			phone.send(sip.NewResponseFromRequest(r, 200, "OK", nil).String(), from)
			phone.send(sip.NewResponseFromRequest(inv, 487, "Request Terminated", nil).String(), from)
			break
		}
	}
	waitFor(t, "the cancelled call's lease going back", func() bool {
		_, leased := sb.Lease(testNumber)
		return !leased && len(sb.Calls()) == 0
	})

	// Expired: not rung, offline.
	h.clock.add(time.Second)
	if h.g.Reaches(testNumber) || len(h.g.Registrations()) != 0 {
		t.Fatalf("the registration outlived its expiry: %+v", h.g.Registrations())
	}
	callsOut := h.g.Stats().CallsOut
	dial(3)
	if u := out.expect(t, wire.TypeUnavailable); u.Reason != wire.ReasonOffline {
		t.Fatalf("unavailable %q, want %q", u.Reason, wire.ReasonOffline)
	}
	if n := h.g.Stats().CallsOut; n != callsOut {
		t.Fatalf("the gateway sent %d INVITEs to an expired registration", n-callsOut)
	}
}
