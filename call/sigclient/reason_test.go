package sigclient

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestReason: each way of failing to reach a server, made for real on
// loopback, is said in words a person can act on.
func TestReason(t *testing.T) {
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	host := func(u string) string { return u[strings.Index(u, "://")+3:] }
	tests := []struct{ url, want string }{
		{"ws://" + closed + "/v1", "connection refused"},
		{"ws://" + host(plain.URL) + "/v1", "the server answered HTTP 404: not a dialtone signalling endpoint"},
		{"wss://" + host(plain.URL) + "/v1", "TLS error: the server does not speak TLS"},
		{"wss://" + host(tlsSrv.URL) + "/v1", "TLS error: the server's certificate is not signed by a known authority"},
		{"ws://no-such-host.invalid:7700/v1", "name not found: no-such-host.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			c, err := New(Config{URL: tt.url, Number: "+15550100001", Key: servertest.NewKey(), DialTimeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.connect(context.Background())
			if err == nil {
				t.Fatal("connected")
			}
			if got := Reason(err); !strings.Contains(got, tt.want) {
				if strings.Contains(tt.url, ".invalid") && !strings.Contains(err.Error(), "no such host") {
					t.Skipf("this machine's resolver answers %v", err)
				}
				t.Errorf("Reason(%v) = %q, want %q", err, got, tt.want)
			}
		})
	}
	if got := Reason(&RejectedError{ServerError{Code: wire.CodeAuthFailed, Message: "this number is bound to another key"}}); got != "this number is bound to another key" {
		t.Errorf("rejected: %q", got)
	}
}
