package sipgw

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

type directory map[string]bool

func (d directory) Known(n string) bool { return d[n] }

// invite builds an INVITE from user to the number to.
func (p *peer) invite(from, to string, extra ...string) string {
	p.cseq++
	local := p.conn.LocalAddr().String()
	h := []string{
		fmt.Sprintf("INVITE sip:%s@dialtone SIP/2.0", to),
		fmt.Sprintf("Via: SIP/2.0/%s %s;branch=z9hG4bK-i%d-%s;rport", p.proto, local, p.cseq, p.call),
		"Max-Forwards: 70",
		fmt.Sprintf("From: <sip:%s@dialtone>;tag=t1", from),
		fmt.Sprintf("To: <sip:%s@dialtone>", to),
		"Call-ID: inv-" + p.call,
		fmt.Sprintf("CSeq: %d INVITE", p.cseq),
		fmt.Sprintf("Contact: <sip:%s@%s>", from, local),
	}
	h = append(h, extra...)
	return strings.Join(h, "\r\n") + "\r\nContent-Length: 0\r\n\r\n"
}

func proxyAuthorize(t *testing.T, res *sip.Response, to, user, password string) string {
	t.Helper()
	c, err := digest.ParseChallenge(res.GetHeader("Proxy-Authenticate").Value())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(c, digest.Options{Method: "INVITE", URI: "sip:" + to + "@dialtone", Username: user, Password: password, Count: 1, Cnonce: "c"})
	if err != nil {
		t.Fatal(err)
	}
	return "Proxy-Authorization: " + cred.String()
}

func TestInvite(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Directory = directory{"+12025550102": true, "600": true} })
	for _, tc := range []struct {
		name, from, to, password string
		want                     int
	}{
		{"to a dialtone number: not bridged yet", testNumber, "+12025550102", "", 480},
		{"to the echo test", testNumber, "600", "", 480},
		{"to an unknown number", testNumber, "+12025550177", "", 404},
		{"to a name", testNumber, "bob", "", 404},
		{"wrong password", testNumber, "+12025550102", "nope", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pass := tc.password
			if pass == "" {
				pass = h.password
			}
			p := dialPeer(t, "UDP", h.udp)
			p.send(p.invite(tc.from, tc.to))
			res := p.recv()
			if res.StatusCode != 407 {
				t.Fatalf("unauthenticated INVITE: %d, want 407", res.StatusCode)
			}
			p.ack(res, tc.to)
			p.send(p.invite(tc.from, tc.to, proxyAuthorize(t, res, tc.to, testNumber, pass)))
			final := p.recv()
			p.ack(final, tc.to)
			if final.StatusCode != tc.want {
				t.Fatalf("got %d, want %d", final.StatusCode, tc.want)
			}
		})
	}
	// A caller that is not one of our numbers is refused outright: no
	// trunks, and no relaying between two foreign parties.
	p := dialPeer(t, "UDP", h.udp)
	p.send(p.invite("alice", "+12025550102"))
	res := p.recv()
	p.ack(res, "+12025550102")
	if res.StatusCode != 403 {
		t.Fatalf("foreign caller: %d, want 403", res.StatusCode)
	}
}

// ack acknowledges a final non-2xx response to an INVITE, so that the
// server stops retransmitting it (RFC 3261 section 17.1.1.3).
func (p *peer) ack(res *sip.Response, to string) {
	p.t.Helper()
	msg := strings.Join([]string{
		fmt.Sprintf("ACK sip:%s@dialtone SIP/2.0", to),
		res.Via().String(),
		"Max-Forwards: 70",
		res.From().String(),
		res.To().String(),
		res.CallID().String(),
		fmt.Sprintf("CSeq: %d ACK", res.CSeq().SeqNo),
	}, "\r\n") + "\r\nContent-Length: 0\r\n\r\n"
	p.send(msg)
}
