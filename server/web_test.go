package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
	"github.com/dialtone/dialtone/server/web"
)

func startWeb(t *testing.T, on bool) *servertest.Server {
	t.Helper()
	cfg := servertest.Config(t, servertest.Options{})
	cfg.Web = on
	return servertest.Start(t, cfg)
}

func fetch(t *testing.T, method, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestWebPage: the browser phone is served at / on the signalling listener,
// with the strict headers on every answer, and its files typed by name.
func TestWebPage(t *testing.T) {
	srv := startWeb(t, true)
	base := srv.Addrs.Web
	if want := "http://" + srv.Addrs.Signal + "/"; base != want {
		t.Fatalf("Addrs.Web = %q, want %q", base, want)
	}
	for _, tc := range []struct {
		method, path string
		status       int
		ctype, body  string
	}{
		{"GET", "", 200, "text/html; charset=utf-8", `<script type="module" src="app.js">`},
		{"GET", "index.html", 200, "text/html; charset=utf-8", "<dialog id=\"incoming\""},
		{"GET", "app.js", 200, "text/javascript; charset=utf-8", "textContent"},
		{"GET", "proto.js", 200, "text/javascript; charset=utf-8", "dialtone/1 registration proof"},
		{"GET", "style.css", 200, "text/css; charset=utf-8", ""},
		{"GET", "ringtone.wav", 200, "audio/wav", "RIFF"},
		{"GET", "v1/format?n=%2B15550100042", 200, "application/json", `"display":"+1 555-010-0042","ok":true,"number":"+15550100042"`},
		{"GET", "v1/format?n=%2B1555", 200, "application/json", `"reason":"+1555 is too short for a +1 number"`},
		{"HEAD", "", 200, "text/html; charset=utf-8", ""},
		{"GET", "nope.js", 404, "", ""},
		{"GET", "../go.mod", 404, "", ""},
		{"GET", "static/index.html", 404, "", ""},
		{"POST", "", 405, "", ""},
	} {
		t.Run(tc.method+" /"+tc.path, func(t *testing.T) {
			resp, body := fetch(t, tc.method, base+tc.path)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			h := resp.Header
			for k, want := range map[string]string{
				"Content-Security-Policy": web.Policy, "X-Content-Type-Options": "nosniff",
				"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if tc.ctype != "" && h.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type = %q, want %q", h.Get("Content-Type"), tc.ctype)
			}
			if !strings.Contains(body, tc.body) {
				t.Errorf("body lacks %q", tc.body)
			}
		})
	}
	csp := web.Policy
	for _, want := range []string{"script-src 'self';", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP %q allows inline or eval", csp)
	}
}

// TestWebOff: without Web the signalling listener serves only /v1.
func TestWebOff(t *testing.T) {
	srv := startWeb(t, false)
	if srv.Addrs.Web != "" {
		t.Errorf("Addrs.Web = %q with the page off", srv.Addrs.Web)
	}
	resp, _ := fetch(t, "GET", "http://"+srv.Addrs.Signal+"/")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET / with the page off: %d, want 404", resp.StatusCode)
	}
	if resp, _ := fetch(t, "GET", "http://"+srv.Addrs.Signal+wire.FormatPath+"?n=600"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET %s with the page off: %d, want 404", wire.FormatPath, resp.StatusCode)
	}
}

// TestWebOrigin: serving the page changes nothing for the WebSocket: the
// page's own origin connects, a foreign one is refused.
func TestWebOrigin(t *testing.T) {
	srv := startWeb(t, true)
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://" + srv.Addrs.Signal, true},
		{"http://evil.example", false},
		{"http://127.0.0.1:1", false},
		{"null", false},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			ws, resp, err := websocket.Dial(ctx, srv.Addrs.URL, &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}, HTTPHeader: h})
			if tc.ok {
				if err != nil {
					t.Fatalf("same origin refused: %v", err)
				}
				ws.CloseNow()
				return
			}
			if err == nil {
				ws.CloseNow()
				t.Fatal("foreign origin accepted")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("foreign origin: %v, want 403", err)
			}
		})
	}
}
