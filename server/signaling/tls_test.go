package signaling_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestOverTLS: wss:// connections, which the poller cannot watch (TLS
// buffers records), are read by a goroutine each and work the same.
func TestOverTLS(t *testing.T) {
	cfg := servertest.Config(t, servertest.Options{})
	cfg.TLSCert, cfg.TLSKey, cfg.Listen = selfSigned(t)
	srv := servertest.Start(t, cfg)
	pool := x509.NewCertPool()
	certPEM, _ := os.ReadFile(cfg.TLSCert)
	pool.AppendCertsFromPEM(certPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, srv.Addrs.URL, &websocket.DialOptions{HTTPClient: hc, Subprotocols: []string{wire.Subprotocol}})
	if err != nil {
		t.Fatalf("dialling %s: %v", srv.Addrs.URL, err)
	}
	defer c.CloseNow()
	for seq := uint64(1); seq <= 3; seq++ {
		b, _ := wire.Encode(&wire.Message{Type: wire.TypePing, Seq: seq})
		if err := c.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m, err := wire.Decode(data); err != nil || m.Type != wire.TypePong || m.Re != seq {
			t.Fatalf("got %q (%v), want a pong answering %d", data, err, seq)
		}
	}
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatalf("close handshake: %v", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and returns its files and a
// listen address.
func selfSigned(t *testing.T) (cert, key, listen string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key, "127.0.0.1:0"
}
