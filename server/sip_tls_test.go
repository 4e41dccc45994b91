package server_test

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/server"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestSIPTLSPerSourceCap: SIP over TLS is behind the same per-source cap
// as SIP over TCP, on its own share of the budget; one source at its cap
// does not keep another from a TLS handshake with the server's
// certificate and an answer.
func TestSIPTLSPerSourceCap(t *testing.T) {
	const k = 3
	cert, key, pool := servertest.SelfSigned(t)
	cfg := servertest.Config(t, servertest.Options{})
	cfg.TLSCert, cfg.TLSKey = cert, key
	cfg.SIP, cfg.SIPTLS = "127.0.0.1:0", "127.0.0.1:0"
	cfg.SIPTCPPerIP = 4
	srv := servertest.Start(t, cfg)
	addr := srv.Addrs.SIPTLS
	if addr == "" || addr == srv.Addrs.SIP {
		t.Fatalf("SIP over TLS on %q beside SIP on %q", addr, srv.Addrs.SIP)
	}
	capN := connStats(srv, "sip-tls").Limits.PerSource
	if capN != 4 {
		t.Fatalf("sip-tls per-source cap %d, want 4", capN)
	}
	attack(t, "127.0.0.2", addr, capN+k, nil)
	waitRefused(t, srv, "sip-tls", k)
	if got := connStats(srv, "sip-tls").Open; got != capN {
		t.Errorf("sip-tls: %d connections open, want its cap %d", got, capN)
	}
	c, err := tls.Dial("tcp4", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("a TLS handshake from another source while one is at its cap: %v", err)
	}
	defer c.Close()
	local := c.LocalAddr().String()
	req := "OPTIONS sip:" + addr + ";transport=tls SIP/2.0\r\n" +
		"Via: SIP/2.0/TLS " + local + ";branch=z9hG4bK-tls1\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:" + addr + ">\r\n" +
		"Call-ID: tls-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(servertest.Wait))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
		t.Fatalf("OPTIONS over TLS: %q, %v", buf[:n], err)
	}
}

// Without a certificate there is no SIP over TLS.
func TestSIPTLSNeedsCertificate(t *testing.T) {
	cfg := servertest.Config(t, servertest.Options{})
	cfg.SIP, cfg.SIPTLS = "127.0.0.1:0", "127.0.0.1:0"
	if _, err := server.New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Fatalf("SIP over TLS without a certificate: %v, want refused", err)
	}
}
