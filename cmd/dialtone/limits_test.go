package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/miekg/dns"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestServerAtDescriptorLimit is the descriptor exhaustion probe, scaled
// down: a server process allowed 400 descriptors, and from each of two
// addresses 300 TURN-over-TCP connections that send two bytes and go quiet
// (600 would have put it at its limit). The relay's TCP port holds its
// share of the connection budget and refuses the rest; the signalling, DNS
// and admin listeners still accept, so a client registers and calls, the
// DNS answers over TCP and the admin API reads.
func TestServerAtDescriptorLimit(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Fatal("prlimit (util-linux) is needed")
	}
	rs := startServerUnder(t, []string{"prlimit", "--nofile=400:400"})
	relay := strings.TrimPrefix(strings.Fields(rs.addrs["relay"])[0], "turn:")
	var held []net.Conn
	for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		for range 300 {
			c, err := d.Dial("tcp4", relay)
			if errors.Is(err, syscall.ECONNRESET) {
				continue // refused before Dial returned
			}
			if err != nil {
				t.Fatalf("dialling the relay from %s: %v", src, err)
			}
			c.Write([]byte{0, 1})
			held = append(held, c)
		}
	}
	t.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
	})

	url := rs.addrs["signalling"]
	a := servertest.Register(t, url, "+15550100001")
	b := servertest.Register(t, url, "+15550100002")
	seq := a.Send(&wire.Message{Type: wire.TypeDial, To: b.Number})
	id := a.ExpectReply(seq).Call
	b.Expect(wire.TypeIncoming, id)
	b.Send(&wire.Message{Type: wire.TypeAccept, Call: id})
	a.Expect(wire.TypeAccepted, id)

	dc := &dns.Client{Net: "tcp", Timeout: servertest.Wait}
	q := new(dns.Msg)
	q.SetQuestion("15550100001.dialtone.internal.", dns.TypeA)
	if r, _, err := dc.Exchange(q, rs.addrs["dns"]); err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Fatalf("DNS over TCP at the limit: %v %v", r, err)
	}

	admin := strings.TrimSuffix(strings.TrimPrefix(rs.addrs["admin"], "http://"), "/metrics")
	out, err := exec.Command(binary(t), "server", "numbers", "--admin", admin).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "+15550100002") {
		t.Fatalf("server numbers at the limit: %v\n%s", err, out)
	}
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// Budget 300 of 400 (connlimit.BudgetFor); the relay's share a quarter.
	for _, m := range []struct {
		re   string
		want func(float64) bool
	}{
		{`(?m)^dialtone_tcp_budget (\S+)`, func(v float64) bool { return v == 300 }},
		{`dialtone_tcp_connections\{listener="relay"\} (\S+)`, func(v float64) bool { return v == 75 }},
		{`dialtone_tcp_refused_total\{listener="relay",reason="per_source"\} (\S+)`, func(v float64) bool { return v == 300-64 }},
		{`dialtone_tcp_refused_total\{listener="relay",reason="share"\} (\S+)`, func(v float64) bool { return v == 300-(75-64) }},
	} {
		got := regexp.MustCompile(m.re).FindSubmatch(metrics)
		if got == nil {
			t.Errorf("no %s in the metrics", m.re)
			continue
		}
		v, _ := strconv.ParseFloat(string(got[1]), 64)
		if !m.want(v) {
			t.Errorf("%s: %v", m.re, v)
		}
	}
}

// TestServerAdminToken: the binary refuses an admin address beyond
// loopback without a token; with one, `dialtone server numbers` is refused
// without it and answers with it, from the environment or a file.
func TestServerAdminToken(t *testing.T) {
	out, err := exec.Command(binary(t), "server", "--listen", "127.0.0.1:0", "--dns", "", "--relay", "", "--media", "auto",
		"--admin", "0.0.0.0:0", "--data", t.TempDir()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not loopback") {
		t.Fatalf("admin on 0.0.0.0 without a token: %v\n%s", err, out)
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("tok-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rs := startServer(t, "--admin", "0.0.0.0:0", "--admin-token-file", file)
	_, port, _ := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(rs.addrs["admin"], "http://"), "/metrics"))
	admin := "127.0.0.1:" + port
	numbers := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(binary(t), append([]string{"server", "numbers", "--admin", admin}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := numbers(nil); err == nil || !strings.Contains(out, "401") {
		t.Errorf("without the token: %v\n%s", err, out)
	}
	if out, err := numbers([]string{adminTokenEnv + "=wrong"}); err == nil || !strings.Contains(out, "401") {
		t.Errorf("with a wrong token: %v\n%s", err, out)
	}
	if out, err := numbers([]string{adminTokenEnv + "=tok-123"}); err != nil || !strings.Contains(out, "600") {
		t.Errorf("with the token from the environment: %v\n%s", err, out)
	}
	if out, err := numbers(nil, "--admin-token-file", file); err != nil || !strings.Contains(out, "600") {
		t.Errorf("with the token from a file: %v\n%s", err, out)
	}
}
