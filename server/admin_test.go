package server_test

import (
	"encoding/json"
	"io"
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
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
