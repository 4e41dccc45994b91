package main

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/call"
)

// sipAnswerer starts a server (SIP digest MD5, leases from pool) and a
// `dialtone call --answer auto` for callee with a 660 Hz mic that sends
// the keys dtmf once connected, and waits for it to register. It returns
// the server, the SIP password for sipTestNumber and the call.
func sipAnswerer(t *testing.T, pool, callee, dtmf string) (*runningServer, string, *callProc) {
	t.Helper()
	binary(t)
	rs, pass := sipServer(t, "--sip-digest", "MD5", "--pool", pool)
	dt := startCall(t, rs.addrs["signalling"], callee, "--answer", "auto", "--max-calls", "1", "--mic", "tone:660", "--dtmf", dtmf)
	dt.waitFor(t, call.EventRegistered)
	return rs, pass, dt
}

// sipPhoneUA is the SIP phone's user agent, closed when the test ends.
func sipPhoneUA(t *testing.T) *sipgo.UserAgent {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(sipTestNumber))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	return ua
}

// sipPhoneDialogs is the phone's dialog client on ua. With port 0 its
// requests leave from any socket and its Contact names no port; with a
// port, its requests leave from 127.0.0.1:port, where the phone listens
// for the gateway's requests in the dialog, and its Contact says so.
func sipPhoneDialogs(t *testing.T, ua *sipgo.UserAgent, port int) *sipgo.DialogClientCache {
	t.Helper()
	opts := []sipgo.ClientOption{sipgo.WithClientHostname("127.0.0.1")}
	if port != 0 {
		opts = append(opts, sipgo.WithClientConnectionAddr("127.0.0.1:"+strconv.Itoa(port)))
	}
	cl, err := sipgo.NewClient(ua, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return sipgo.NewDialogClientCache(cl, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: sipTestNumber, Host: "127.0.0.1", Port: port}})
}

// sipGatewayURI is the SIP URI of number at the server's gateway.
func sipGatewayURI(t *testing.T, rs *runningServer, number string) sip.Uri {
	t.Helper()
	gw, err := netip.ParseAddrPort(rs.addrs["sip"])
	if err != nil {
		t.Fatal(err)
	}
	return sip.Uri{Scheme: "sip", User: number, Host: gw.Addr().String(), Port: int(gw.Port())}
}
