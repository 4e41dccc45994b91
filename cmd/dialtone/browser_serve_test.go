package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
	"github.com/dialtone/dialtone/server/web"
)

// TestServerServesThePageOverTLS: with --tls-cert and --tls-key the page
// is at https://, its WebSocket at wss:// on the same origin (a foreign
// origin still refused), the formatter answers, and Chromium registers
// through it.
func TestServerServesThePageOverTLS(t *testing.T) {
	cert, key, pool := servertest.SelfSigned(t)
	rs := startServer(t, "--tls-cert", cert, "--tls-key", key)
	page, sig := rs.addrs["browser"], rs.addrs["signalling"]
	if !strings.HasPrefix(page, "https://127.0.0.1:") || !strings.HasPrefix(sig, "wss://127.0.0.1:") {
		t.Fatalf("the server printed page %q and signalling %q, want https:// and wss://", page, sig)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	resp, err := client.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != web.Policy || !strings.Contains(string(body), `src="app.js"`) {
		t.Errorf("GET %s: %d, CSP %q", page, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	resp, err = client.Get(page + strings.TrimPrefix(wire.FormatPath, "/") + "?n=600")
	if err != nil {
		t.Fatal(err)
	}
	var f wire.Formatted
	if err := json.NewDecoder(resp.Body).Decode(&f); err != nil || !f.OK || !f.Service {
		t.Errorf("the formatter over TLS: %+v, %v", f, err)
	}
	resp.Body.Close()
	origin := strings.TrimSuffix(page, "/")
	for _, tc := range []struct {
		origin string
		ok     bool
	}{{origin, true}, {"https://evil.example", false}} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ws, resp, err := websocket.Dial(ctx, sig, &websocket.DialOptions{HTTPClient: client, Subprotocols: []string{wire.Subprotocol},
			HTTPHeader: http.Header{"Origin": {tc.origin}}})
		cancel()
		if ws != nil {
			ws.CloseNow()
		}
		if tc.ok && err != nil {
			t.Errorf("wss:// from the page's own origin: %v", err)
		}
		if !tc.ok && (err == nil || resp == nil || resp.StatusCode != http.StatusForbidden) {
			t.Errorf("wss:// from %s: %v, want 403", tc.origin, err)
		}
	}

	// A browser that trusts the certificate (told to, for this test).
	b := newBrowser(t, chromedp.Flag("ignore-certificate-errors", true))
	b.registered(page, "+15550100131")
	if got := evalJS[string](b, `location.protocol + " " + window.isSecureContext`); got != "https: true" {
		t.Errorf("the page runs on %q", got)
	}
}

// TestServerWebFlagOff: dialtone server --web=false serves no page and no
// formatter, and prints no page address; the signalling endpoint stays.
func TestServerWebFlagOff(t *testing.T) {
	rs := startServer(t, "--web=false")
	if a, ok := rs.addrs["browser"]; ok {
		t.Errorf("the server printed a page address %q with --web=false", a)
	}
	base := "http://" + strings.TrimSuffix(strings.TrimPrefix(rs.addrs["signalling"], "ws://"), wire.Path)
	for _, p := range []string{"/", "/app.js", wire.FormatPath + "?n=600"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s with --web=false: %d, want 404", p, resp.StatusCode)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, rs.addrs["signalling"], &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	if err != nil {
		t.Fatalf("signalling with --web=false: %v", err)
	}
	ws.CloseNow()
}
