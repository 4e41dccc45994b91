package dnsserver

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDig asks the real dig binary, as an operator would, and reads what it
// prints.
func TestDig(t *testing.T) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Skip("dig is not on PATH (Debian package dnsutils; make deps installs it)")
	}
	addr := serve(t, newTestServer(t, standardResolver()))
	host, port, _ := net.SplitHostPort(addr)
	run := func(t *testing.T, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		args = append([]string{"@" + host, "-p", port, "+time=2", "+tries=1"}, args...)
		out, err := exec.CommandContext(ctx, dig, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("dig %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	tests := []struct {
		name string
		args []string
		want []string // substrings of dig's output, in order
	}{
		{"A", []string{"+short", "15551234567.dialtone.internal", "A"}, []string{"127.77.0.1\n"}},
		{"AAAA over TCP", []string{"+short", "+tcp", "15551234567.dialtone.internal", "AAAA"}, []string{"fd00::1\n"}},
		{"answer with TTL", []string{"+noall", "+answer", "600.dialtone.internal", "A"},
			[]string{"600.dialtone.internal.", "5", "IN", "A", "127.77.0.6"}},
		{"NXDOMAIN", []string{"15559999999.dialtone.internal", "A"},
			[]string{"status: NXDOMAIN", "flags: qr aa rd;", "AUTHORITY SECTION", "dialtone.internal.", "SOA"}},
		{"NODATA", []string{"15557654321.dialtone.internal", "A"},
			[]string{"status: NOERROR", "ANSWER: 0, AUTHORITY: 1", "SOA"}},
		{"REFUSED", []string{"example.com", "A"}, []string{"status: REFUSED"}},
		{"EDNS echoed", []string{"+edns=0", "+bufsize=4096", "15551234567.dialtone.internal", "A"},
			[]string{"OPT PSEUDOSECTION", "udp: 1232"}},
		{"ENUM", []string{"+short", "-t", "NAPTR", "7.6.5.4.3.2.1.5.5.5.1.e164.arpa"},
			[]string{`100 10 "u" "E2U+x-dialtone" "!^.*$!dialtone:+15551234567@example.net!" .`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := run(t, tt.args...)
			rest := out
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("dig output lacks %q (in order):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
