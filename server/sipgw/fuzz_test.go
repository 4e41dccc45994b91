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
