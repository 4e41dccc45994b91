package sipgw

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzInspect feeds arbitrary datagrams to the checks every UDP message
// passes before the SIP stack: they must not panic, and a response they
// build must itself parse as a SIP response.
func FuzzInspect(f *testing.F) {
	f.Add([]byte("REGISTER sip:dialtone SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\nFrom: <sip:+12025550101@d>;tag=1\r\nTo: <sip:+12025550101@d>\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\nContact: <sip:a@1.2.3.4>;expires=60\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("\r\n\r\n"))
	f.Add([]byte("INVITE sip:x SIP/2.0\r\nv: SIP/2.0/UDP h\r\n\r\n"))
	p := sip.NewParser()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, res := inspect(p, data, 4096, 32)
		if res == nil {
			return
		}
		m, err := sip.ParseMessage(res)
		if err != nil {
			t.Fatalf("built response %q does not parse: %v", res, err)
		}
		if _, ok := m.(*sip.Response); !ok {
			t.Fatalf("built %q is not a response", res)
		}
	})
}

// BenchmarkInspect is the cost every UDP message pays before the SIP stack.
func BenchmarkInspect(b *testing.B) {
	msg := []byte("REGISTER sip:dialtone SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK776;rport\r\nMax-Forwards: 70\r\nFrom: <sip:+12025550101@dialtone>;tag=49583\r\nTo: <sip:+12025550101@dialtone>\r\nCall-ID: 1j9FpLxk3uxtm8tn@10.0.0.2\r\nCSeq: 2 REGISTER\r\nContact: <sip:+12025550101@10.0.0.2:5060;transport=udp>;expires=3600\r\nContent-Length: 0\r\n\r\n")
	p := sip.NewParser()
	b.ReportAllocs()
	for b.Loop() {
		if prob, _ := inspect(p, msg, 8192, 64); prob != fine {
			b.Fatal(prob)
		}
	}
}
