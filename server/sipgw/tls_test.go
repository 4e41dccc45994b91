package sipgw

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// testCert is a certificate for 127.0.0.1 and a pool trusting it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}, pool
}

// tlsHarness is a harness with SIP over TLS on; it returns the TLS
// address and a pool trusting its certificate.
func tlsHarness(t *testing.T) (*harness, string, *x509.CertPool) {
	t.Helper()
	cert, pool := testCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *Config) { c.TLSListener = NewTLSListener(ln, cert) })
	return h, ln.Addr().String(), pool
}

func dialTLSPeer(t *testing.T, addr string, pool *x509.CertPool) *peer {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &peer{t: t, conn: c, r: bufio.NewReader(c), proto: "TLS", call: fmt.Sprintf("call-%p", c)}
}

// A phone registers over TLS with the server's certificate; the binding
// remembers the transport and the connection it came over.
func TestRegisterOverTLS(t *testing.T) {
	h, addr, pool := tlsHarness(t)
	p := dialTLSPeer(t, addr, pool)
	p.send(p.register(testNumber))
	res := p.recv()
	if res.StatusCode != 401 {
		t.Fatalf("first REGISTER over TLS: %d, want 401", res.StatusCode)
	}
	p.send(p.register(testNumber, authorize(t, res, "SHA-256", testNumber, h.password, 1), "Expires: 120"))
	if ok := p.recv(); ok.StatusCode != 200 {
		t.Fatalf("authorised REGISTER over TLS: %d, want 200", ok.StatusCode)
	}
	regs := h.g.Registrations()
	if len(regs) != 1 || regs[0].Transport != "TLS" || regs[0].Source != p.conn.LocalAddr().String() ||
		!strings.Contains(regs[0].Contact, "transport=tls") {
		t.Fatalf("registrations %+v, want one over TLS from %s", regs, p.conn.LocalAddr())
	}
}

// A client that does not trust the certificate gets no SIP service: the
// handshake fails and the registrar sees nothing.
func TestTLSUntrustedClientRefused(t *testing.T) {
	h, addr, _ := tlsHarness(t)
	_, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "127.0.0.1"})
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("dialling with an empty trust store: %v, want an unknown authority", err)
	}
	if st := h.g.Stats(); st.Registrations != 0 || st.Challenges != 0 {
		t.Fatalf("stats %+v after a failed handshake", st)
	}
}

// A connection that never finishes its handshake is closed after the
// handshake timeout rather than kept.
func TestTLSHandshakeTimeout(t *testing.T) {
	old := handshakeTimeout
	handshakeTimeout = 200 * time.Millisecond
	t.Cleanup(func() { handshakeTimeout = old })
	_, addr, _ := tlsHarness(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.ReadAll(c)
	if err != nil {
		t.Fatalf("a silent connection was not closed: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("a silent connection closed after %v", d)
	}
}

func TestTLSContact(t *testing.T) {
	h, addr, _ := tlsHarness(t)
	waitFor(t, "the gateway serving", func() bool { return h.g.client.Load() != nil })
	if c := h.g.contactFor("UDP"); c != nil {
		t.Errorf("UDP contact %v, want the default", c)
	}
	c := h.g.contactFor("TLS")
	if c == nil || c.Address.HostPort() != addr {
		t.Fatalf("TLS contact %v, want one on %s", c, addr)
	}
	if tr, _ := c.Address.UriParams.Get("transport"); tr != "tls" {
		t.Errorf("TLS contact %v has no transport=tls", c)
	}
}
