package server_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

const zone = "dialtone.internal."

func query(t *testing.T, addr, name string, qtype uint16, proto string) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: proto, Timeout: servertest.Wait}
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("querying %s %s over %s: %v", name, dns.TypeToString[qtype], proto, err)
	}
	return r
}

// TestDNSFollowsCalls checks that the number DNS answers from the live
// lease table: no address before a call, the leased one during it, none
// after.
func TestDNSFollowsCalls(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	name := func(n string) string { return number.Number(n).Digits() + "." + zone }

	for _, proto := range []string{"udp", "tcp"} {
		if r := query(t, srv.Addrs.DNS, name(alice), dns.TypeA, proto); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
			t.Fatalf("before the call (%s): rcode %s, %d answers; want NODATA", proto, dns.RcodeToString[r.Rcode], len(r.Answer))
		}
	}
	if r := query(t, srv.Addrs.DNS, name(carol), dns.TypeA, "udp"); r.Rcode != dns.RcodeNameError {
		t.Fatalf("unregistered number: %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
	if r := query(t, srv.Addrs.DNS, "example.com.", dns.TypeA, "udp"); r.Rcode != dns.RcodeRefused {
		t.Fatalf("outside the zone: %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
	r := query(t, srv.Addrs.DNS, number.Number(alice).ENUM(), dns.TypeNAPTR, "udp")
	if len(r.Answer) != 1 || !strings.Contains(r.Answer[0].(*dns.NAPTR).Regexp, alice) {
		t.Fatalf("ENUM NAPTR for a registered number: %v", r.Answer)
	}

	id, acc, _ := setUp(t, a, b)
	lease, _ := srv.Leases().Lookup(alice)
	r = query(t, srv.Addrs.DNS, name(alice), dns.TypeA, "udp")
	if len(r.Answer) != 1 {
		t.Fatalf("during the call: %v", r)
	}
	arec := r.Answer[0].(*dns.A)
	if arec.A.String() != lease.Addr.Addr().String() || !strings.HasPrefix(acc.LocalLease, arec.A.String()+":") {
		t.Fatalf("A = %s; lease %s, told %s", arec.A, lease.Addr, acc.LocalLease)
	}
	if arec.Hdr.Ttl == 0 || arec.Hdr.Ttl > 30 {
		t.Fatalf("TTL %d is not within the lease's life", arec.Hdr.Ttl)
	}

	a.Send(&wire.Message{Type: wire.TypeHangup, Call: id})
	b.Expect(wire.TypeEnded, id)
	if r := query(t, srv.Addrs.DNS, name(alice), dns.TypeA, "udp"); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
		t.Fatalf("after the call: %v; want NODATA", r.Answer)
	}
}

// TestDNSWithDig asks the real dig, as an operator would.
func TestDNSWithDig(t *testing.T) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Skip("dig is not installed (make deps installs dnsutils)")
	}
	srv := servertest.New(t, servertest.Options{})
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	setUp(t, a, b)
	lease, _ := srv.Leases().Lookup(bob)
	host, port, _ := strings.Cut(srv.Addrs.DNS, ":")
	out, err := exec.Command(dig, "@"+host, "-p", port, "+short", number.Number(bob).Digits()+"."+zone, "A").CombinedOutput()
	if err != nil {
		t.Fatalf("dig: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != lease.Addr.Addr().String() {
		t.Fatalf("dig +short = %q, want %s", got, lease.Addr.Addr())
	}
	out, _ = exec.Command(dig, "@"+host, "-p", port, "+tcp", "15550109999."+zone, "A").CombinedOutput()
	if !strings.Contains(string(out), "status: NXDOMAIN") {
		t.Fatalf("dig for an unknown number:\n%s", out)
	}
}

// TestDNSRateLimitMetric: the server's --dns-rate and --dns-slip reach the
// DNS, and what they hold back shows in the metrics.
func TestDNSRateLimitMetric(t *testing.T) {
	cfg := servertest.Config(t, servertest.Options{})
	// A burst of 1, a token per 1000 s however slow the machine, and every
	// reply over the limit truncated.
	cfg.DNSRate, cfg.DNSSlip = 0.001, 1
	srv := servertest.Start(t, cfg)
	name := "15550109999." + zone
	for i := range 5 {
		if r := query(t, srv.Addrs.DNS, name, dns.TypeA, "udp"); r.Truncated != (i >= 1) {
			t.Fatalf("query %d: TC %v", i+1, r.Truncated)
		}
	}
	if r := query(t, srv.Addrs.DNS, name, dns.TypeA, "tcp"); r.Truncated || r.Rcode != dns.RcodeNameError {
		t.Fatalf("over TCP: %v", r)
	}
	if m := string(get(t, "http://"+srv.Addrs.Admin+"/metrics")); !strings.Contains(m, `dialtone_dns_rate_limited_total{action="slipped"} 4`) {
		t.Fatalf("metrics lack 4 slipped replies:\n%s", grepLines(m, "dialtone_dns_rate_limited"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
