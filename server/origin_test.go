package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestForeignOriginRefused: a page from another origin may not open the
// signalling WebSocket (a browser would otherwise lend it the user's
// network position); it gets HTTP 403 before any upgrade. Same-origin
// pages and clients that send no Origin (not browsers) get through.
func TestForeignOriginRefused(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	host := strings.TrimPrefix(strings.TrimSuffix(srv.Addrs.URL, wire.Path), "ws://")
	for _, tc := range []struct {
		origin string
		want   int
	}{
		{"http://evil.example", http.StatusForbidden},
		{"http://" + host + ".evil.example", http.StatusForbidden},
		{"http://" + host, http.StatusSwitchingProtocols},
		{"", http.StatusSwitchingProtocols},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			ws, resp, err := websocket.Dial(context.Background(), srv.Addrs.URL,
				&websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}, HTTPHeader: h})
			if ws != nil {
				ws.CloseNow()
			}
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("Origin %q: response %v, err %v; want HTTP %d", tc.origin, resp, err, tc.want)
			}
		})
	}
}
