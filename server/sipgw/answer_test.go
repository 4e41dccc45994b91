package sipgw

import (
	"fmt"
	"strings"
	"testing"
)

// A CANCEL that matches no INVITE (one that crossed the final answer, or
// a stray) is answered 481, over both transports, rather than left to be
// sent again for 32 s.
func TestCancelWithoutInvite(t *testing.T) {
	h := newHarness(t, nil)
	for _, proto := range []string{"UDP", "TCP"} {
		t.Run(proto, func(t *testing.T) {
			addr := h.udp
			if proto == "TCP" {
				addr = h.tcp
			}
			p := dialPeer(t, proto, addr)
			local := p.conn.LocalAddr().String()
			p.send(strings.Join([]string{
				"CANCEL sip:+12025550102@dialtone SIP/2.0",
				fmt.Sprintf("Via: SIP/2.0/%s %s;branch=z9hG4bK-stray-%s;rport", proto, local, proto),
				"Max-Forwards: 70",
				fmt.Sprintf("From: <sip:%s@dialtone>;tag=t1", testNumber),
				"To: <sip:+12025550102@dialtone>",
				"Call-ID: stray-" + p.call,
				"CSeq: 1 CANCEL",
			}, "\r\n") + "\r\nContent-Length: 0\r\n\r\n")
			if res := p.recv(); res.StatusCode != 481 {
				t.Fatalf("a CANCEL of nothing: %d, want 481", res.StatusCode)
			}
		})
	}
}
