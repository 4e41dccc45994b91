package dnsserver

import (
	"context"
	"flag"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var dnsperfFor = flag.Duration("dnsperf", 0, "run dnsperf against a loopback server for this long and log its figures")

// TestDNSPerf is a load run, not a check: with -dnsperf=10s it serves a
// table of numbers on loopback and lets dnsperf ask for them, the mix being
// leased (A), offline (NODATA), unknown (NXDOMAIN) and ENUM names.
//
//	go test -run TestDNSPerf -dnsperf 10s -v ./server/dnsserver/
func TestDNSPerf(t *testing.T) {
	if *dnsperfFor == 0 {
		t.Skip("a load run; enable with -dnsperf=10s")
	}
	bin, err := exec.LookPath("dnsperf")
	if err != nil {
		t.Skip("dnsperf is not on PATH (Debian package dnsperf; make deps-bench installs it)")
	}
	res := newFakeResolver()
	res.set("+15551234567", Entry{Registered: true, Addrs: []netip.Addr{netip.MustParseAddr("127.77.0.1")}, TTL: time.Minute})
	res.set("+15557654321", Entry{Registered: true})
	s := newTestServer(t, res)
	addr := serve(t, s)
	host, port, _ := net.SplitHostPort(addr)

	queries := strings.Join([]string{
		"15551234567.dialtone.internal A",
		"15551234567.dialtone.internal A",
		"15557654321.dialtone.internal A",
		"15559999999.dialtone.internal A",
		"7.6.5.4.3.2.1.5.5.5.1.e164.arpa NAPTR",
	}, "\n") + "\n"
	file := filepath.Join(t.TempDir(), "queries")
	if err := os.WriteFile(file, []byte(queries), 0o644); err != nil {
		t.Fatal(err)
	}
	secs := int(dnsperfFor.Seconds())
	ctx, cancel := context.WithTimeout(context.Background(), *dnsperfFor+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin,
		"-s", host, "-p", port, "-d", file, "-l", strconv.Itoa(max(secs, 1)), "-c", "4", "-T", "1", "-q", "200",
	).CombinedOutput()
	if err != nil {
		t.Fatalf("dnsperf: %v\n%s", err, out)
	}
	t.Logf("dnsperf:\n%s", out)
	if m := regexp.MustCompile(`Queries per second:\s+([0-9.]+)`).FindSubmatch(out); m != nil {
		t.Logf("QPS %s; server stats %+v", m[1], s.Stats())
	}
}
