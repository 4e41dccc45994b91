package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/server"
	"github.com/dialtone/dialtone/server/servertest"
	"github.com/dialtone/dialtone/server/switchboard"
)

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return b
}

func TestAdminAPI(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	id, acc, _ := setUp(t, a, b)
	base := "http://" + srv.Addrs.Admin

	var leases []server.LeaseView
	if err := json.Unmarshal(get(t, base+"/api/leases"), &leases); err != nil || len(leases) != 2 {
		t.Fatalf("leases: %+v %v", leases, err)
	}
	if leases[0].Number != alice || leases[0].Addr != acc.LocalLease {
		t.Fatalf("alice's lease in the API: %+v, told %s", leases[0], acc.LocalLease)
	}
	var calls []switchboard.CallView
	if err := json.Unmarshal(get(t, base+"/api/calls"), &calls); err != nil || len(calls) != 1 || calls[0].ID != string(id) || calls[0].State != "active" {
		t.Fatalf("calls: %+v %v", calls, err)
	}
	var numbers []switchboard.NumberView
	if err := json.Unmarshal(get(t, base+"/api/numbers"), &numbers); err != nil || len(numbers) != 2 || !numbers[1].Online || numbers[1].Lease == "" {
		t.Fatalf("numbers: %+v %v", numbers, err)
	}
	metrics := string(get(t, base+"/metrics"))
	for _, want := range []string{
		`dialtone_calls{state="active"} 1`,
		`dialtone_leases{state="in_use"} 2`,
		`dialtone_call_events_total{event="accepted"} 1`,
		`dialtone_clients_online 2`,
		`dialtone_signaling_connections 2`,
		`dialtone_relay_early_datagrams_total{outcome="held"}`,
		`dialtone_relay_early_datagrams_total{outcome="dropped"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestAdminExposure: an admin address beyond loopback is refused without a
// token; with one, every endpoint answers 401 without it (or with another)
// and 200 with it.
func TestAdminExposure(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "example.com:0"} {
		cfg := servertest.Config(t, servertest.Options{})
		cfg.Admin = addr
		if _, err := server.New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "not loopback") {
			t.Errorf("admin on %s without a token: %v, want a refusal", addr, err)
		}
	}
	cfg := servertest.Config(t, servertest.Options{})
	cfg.Admin, cfg.AdminToken = "0.0.0.0:0", "s3cret-token"
	srv := servertest.Start(t, cfg)
	_, port, _ := net.SplitHostPort(srv.Addrs.Admin)
	base := "http://127.0.0.1:" + port
	for _, path := range []string{"/metrics", "/api/leases", "/api/numbers", "/api/calls", "/api/pool", "/debug/pprof/", "/healthz"} {
		for _, tc := range []struct {
			auth string
			want int
		}{
			{"", http.StatusUnauthorized},
			{"Bearer wrong", http.StatusUnauthorized},
			{"Bearer s3cret-token-and-more", http.StatusUnauthorized},
			{"s3cret-token", http.StatusUnauthorized},
			{"Bearer s3cret-token", http.StatusOK},
		} {
			req, _ := http.NewRequest("GET", base+path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("GET %s with %q: %s, want %d", path, tc.auth, resp.Status, tc.want)
			}
		}
	}
}
