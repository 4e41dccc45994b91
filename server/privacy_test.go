package server_test

import (
	"bytes"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestRelayHidesAddresses is the hostile-client probe: under the relay
// policy a party that offers host, server-reflexive and peer-reflexive
// candidates, and relay candidates on other leases, hands the other party
// only its relay candidate on its own lease, and SDP that names no address.
func TestRelayHidesAddresses(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	c := servertest.Register(t, srv.Addrs.URL, carol)
	d := servertest.Register(t, srv.Addrs.URL, dave)
	id, acc, _ := setUp(t, a, b)
	setUp(t, c, d) // a call whose leases are someone else's
	own := netip.MustParseAddrPort(acc.LocalLease).Addr()
	peer := netip.MustParseAddrPort(acc.RemoteLease).Addr()
	cLease, _ := srv.Leases().Lookup(carol)

	hostile := []string{
		"candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host generation 0",
		"candidate:2 1 udp 1686052607 203.0.113.7 54321 typ srflx raddr 192.168.1.20 rport 54321",
		"candidate:3 1 udp 1677729535 198.51.100.4 61000 typ prflx raddr 192.168.1.20 rport 54321",
		"candidate:4 1 udp 2122260223 a0b1c2d3-0000-4000-8000-000000000000.local 51000 typ host",
		"candidate:5 1 udp 41885439 " + peer.String() + " 40000 typ relay raddr 203.0.113.7 rport 54321",
		"candidate:6 1 udp 41885439 " + cLease.Addr.Addr().String() + " 40000 typ relay raddr 203.0.113.7 rport 54321",
		"candidate:7 1 tcp 41885439 " + own.String() + " 40000 typ relay tcptype passive",
		"not a candidate at all",
	}
	for _, cand := range hostile {
		a.Send(&wire.Message{Type: wire.TypeICE, Call: id, Candidate: &wire.Candidate{Candidate: cand}})
	}
	good := "candidate:8 1 udp 41885439 " + own.String() + " 40000 typ relay raddr 203.0.113.7 rport 54321 generation 0"
	a.Send(&wire.Message{Type: wire.TypeICE, Call: id, Candidate: &wire.Candidate{Candidate: good}})
	got := b.Expect(wire.TypeICE, id)
	want := "candidate:8 1 udp 41885439 " + own.String() + " 40000 typ relay raddr 0.0.0.0 rport 0 generation 0"
	if got.Candidate == nil || got.Candidate.Candidate != want {
		t.Fatalf("bob's first candidate from alice is %+v, want %q", got.Candidate, want)
	}

	// The SDP a browser would send names its addresses in c=, o=, a=rtcp
	// and its candidates; bob sees none of them.
	offer, err := os.ReadFile("scrub/testdata/chrome-offer.sdp")
	if err != nil {
		t.Fatal(err)
	}
	sdp := strings.ReplaceAll(string(offer), "127.77.0.2", own.String())
	sdp = strings.ReplaceAll(sdp, "127.77.0.9", peer.String())
	// The statement signing the SDP's fingerprints, and the sender's link
	// chain, pass untouched, and scrubbing leaves the fingerprints be:
	// the other phone checks one against the other.
	stmt := &wire.Signed{Body: []byte("statement bytes"), Sig: bytes.Repeat([]byte{7}, 64)}
	chain := []wire.Signed{{Body: []byte("link cert"), Sig: bytes.Repeat([]byte{8}, 64)}}
	a.Send(&wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: sdp, Statement: stmt, Chain: chain})
	got = b.Expect(wire.TypeSDP, id)
	if !reflect.DeepEqual(got.Statement, stmt) || !reflect.DeepEqual(got.Chain, chain) {
		t.Errorf("statement %+v chain %+v arrived as %+v %+v", stmt, chain, got.Statement, got.Chain)
	}
	if fa, err := identity.Fingerprints(sdp); err != nil {
		t.Error(err)
	} else if fb, err := identity.Fingerprints(got.SDP); err != nil || !reflect.DeepEqual(fa, fb) {
		t.Errorf("fingerprints %v arrived as %v (%v)", fa, fb, err)
	}
	for _, leak := range []string{"192.168.", "203.0.113.", "198.51.100.", ".local", "127.0.0.1", peer.String() + " "} {
		if strings.Contains(got.SDP, leak) {
			t.Errorf("bob's SDP from alice holds %q:\n%s", leak, got.SDP)
		}
	}
	if !strings.Contains(got.SDP, "a=candidate:3891826594 1 udp 41885438 "+own.String()+" 40000 typ relay raddr 0.0.0.0 rport 0") {
		t.Errorf("bob's SDP lost alice's relay candidate:\n%s", got.SDP)
	}

	// SDP that does not parse is refused, not forwarded.
	seq := a.Send(&wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: "v=0 evil"})
	if r := a.ExpectReply(seq); r.Code != wire.CodeBadMessage {
		t.Fatalf("unparseable SDP answered %s %s", r.Type, r.Code)
	}
	// The callee is held to its own lease the same way.
	b.Send(&wire.Message{Type: wire.TypeICE, Call: id, Candidate: &wire.Candidate{Candidate: "candidate:9 1 udp 41885439 " + own.String() + " 40000 typ relay"}})
	b.Send(&wire.Message{Type: wire.TypeICE, Call: id, Candidate: &wire.Candidate{Candidate: ""}})
	if m := a.Expect(wire.TypeICE, id); m.Candidate.Candidate != "" {
		t.Fatalf("alice got %q from bob, want only the end of candidates", m.Candidate.Candidate)
	}
	if n := srv.Switchboard().Stats().CandidatesDropped; n != uint64(len(hostile)+1) {
		t.Errorf("%d candidates dropped, want %d", n, len(hostile)+1)
	}
}

// TestAutoForwardsCandidates: under "auto" the parties may go direct, so
// their candidates pass as they are.
func TestAutoForwardsCandidates(t *testing.T) {
	srv := servertest.New(t, servertest.Options{Media: wire.MediaAuto})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	id, _, _ := setUp(t, a, b)
	host := "candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host generation 0"
	a.Send(&wire.Message{Type: wire.TypeICE, Call: id, Candidate: &wire.Candidate{Candidate: host}})
	if m := b.Expect(wire.TypeICE, id); m.Candidate.Candidate != host {
		t.Fatalf("bob got %q, want %q", m.Candidate.Candidate, host)
	}
}

// TestAcceptedOffersUDPRelayOnly: the relay listens on UDP and TCP, but
// under the relay policy accepted names only the UDP URL; under "auto" both.
func TestAcceptedOffersUDPRelayOnly(t *testing.T) {
	for _, tc := range []struct {
		media string
		want  int
	}{{wire.MediaRelay, 1}, {wire.MediaAuto, 2}} {
		t.Run(tc.media, func(t *testing.T) {
			srv := servertest.New(t, servertest.Options{Media: tc.media})
			a := servertest.Register(t, srv.Addrs.URL, alice)
			b := servertest.Register(t, srv.Addrs.URL, bob)
			_, acc, bcc := setUp(t, a, b)
			for _, m := range []*wire.Message{acc, bcc} {
				if len(m.Relay.URLs) != tc.want {
					t.Fatalf("accepted offers %v, want %d URLs", m.Relay.URLs, tc.want)
				}
				if !strings.HasSuffix(m.Relay.URLs[0], "?transport=udp") {
					t.Fatalf("the first URL is %s, want the UDP one", m.Relay.URLs[0])
				}
			}
		})
	}
}
