package signaling_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
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
	cfg.TLSCert, cfg.TLSKey, _ = servertest.SelfSigned(t)
	cfg.Listen = "127.0.0.1:0"
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
