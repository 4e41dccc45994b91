package sipgw

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/dialtone/dialtone/server/store"
)

func TestParseRoute(t *testing.T) {
	for _, tc := range []struct {
		in, host, transport string
		port                int
		bad                 bool
	}{
		{in: "+44=sip:trunk.example", host: "trunk.example", port: 5060, transport: "UDP"},
		{in: "+1=sip:192.0.2.7:5080;transport=tcp", host: "192.0.2.7", port: 5080, transport: "TCP"},
		{in: "+1=sip:[2001:db8::1]:5070;transport=UDP", host: "[2001:db8::1]", port: 5070, transport: "UDP"},
		{in: "44=sip:trunk.example", bad: true},
		{in: "+=sip:trunk.example", bad: true},
		{in: "+4a=sip:trunk.example", bad: true},
		{in: "+44", bad: true},
		{in: "+44=sips:trunk.example", bad: true},
		{in: "+44=sip:bob@trunk.example", bad: true},
		{in: "+44=sip:trunk.example;transport=sctp", bad: true},
		{in: "+44=not a uri", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			r, err := ParseRoute(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("parsed %+v, want an error", r)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Trunk.Host != tc.host || r.Trunk.Port != tc.port || r.Transport() != tc.transport {
				t.Fatalf("got %s:%d %s, want %s:%d %s", r.Trunk.Host, r.Trunk.Port, r.Transport(), tc.host, tc.port, tc.transport)
			}
		})
	}
}

func TestMatchRouteLongestPrefix(t *testing.T) {
	var routes []Route
	for _, s := range []string{"+4=sip:europe", "+44=sip:uk", "+4420=sip:london", "+1=sip:nanp"} {
		r, err := ParseRoute(s)
		if err != nil {
			t.Fatal(err)
		}
		routes = append(routes, r)
	}
	for _, tc := range []struct{ n, want string }{
		{"+442079460000", "london"},
		{"+447700900123", "uk"},
		{"+41443334444", "europe"},
		{"+33142685300", ""},
		{"+12025550102", "nanp"},
		{"+81312345678", ""},
	} {
		r, ok := matchRoute(routes, tc.n)
		if got := r.Trunk.Host; ok != (tc.want != "") || got != tc.want {
			t.Errorf("%s: route %q (found %v), want %q", tc.n, got, ok, tc.want)
		}
	}
}

// TestTrunkInvite: an INVITE from a trunk's address needs no digest, and
// reaches only our numbers; from anywhere else it is challenged as today.
func TestTrunkInvite(t *testing.T) {
	const foreign = "+447700900123"
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		if host == "trunk.test" {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, errors.New("no such host")
	}
	route := func(s string) []Route {
		r, err := ParseRoute(s)
		if err != nil {
			t.Fatal(err)
		}
		return []Route{r}
	}
	for _, tc := range []struct {
		name   string
		routes []Route
		allow  []netip.Prefix
		to     string
		want   int
	}{
		{"from the route's host, to our number", route("+44=sip:127.0.0.1:5"), nil, "+12025550102", 480},
		{"from the route's host, resolved", route("+44=sip:trunk.test"), nil, "+12025550102", 480},
		{"from the route's host, IPv6 literal elsewhere", route("+44=sip:[::1]"), nil, "+12025550102", 407},
		{"from --sip-trunk-allow", nil, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "+12025550102", 480},
		{"from the trunk, to a number we do not hold", route("+44=sip:127.0.0.1:5"), nil, "+12025550177", 404},
		{"from the trunk, to a foreign number: no relay", route("+44=sip:127.0.0.1:5"), nil, "+447700900999", 404},
		{"from an unlisted address", route("+44=sip:192.0.2.1"), []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "+12025550102", 407},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				c.Directory = directory{"+12025550102": true}
				c.Routes, c.TrunkAllow, c.LookupHost = tc.routes, tc.allow, lookup
			})
			p := dialPeer(t, "UDP", h.udp)
			p.send(p.invite(foreign, tc.to))
			res := p.recv()
			p.ack(res, tc.to)
			if res.StatusCode != tc.want {
				t.Fatalf("got %d, want %d", res.StatusCode, tc.want)
			}
		})
	}
}

func TestTrunkUnresolvable(t *testing.T) {
	if _, err := New(Config{Credentials: noCredentials{}}); err != nil {
		t.Fatal(err)
	}
	r, err := ParseRoute("+44=sip:nowhere.test")
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Config{Credentials: noCredentials{}, Routes: []Route{r},
		LookupHost: func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("no such host") }})
	if err == nil {
		t.Fatal("New with an unresolvable trunk: no error")
	}
}

type noCredentials struct{}

func (noCredentials) SIPCredential(context.Context, string) (store.SIPCredential, error) {
	return store.SIPCredential{}, store.ErrNotFound
}
