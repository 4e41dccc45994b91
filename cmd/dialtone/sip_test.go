package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const sipTestNumber = "+12025550101"

// sipServer starts a server with the registrar on and a SIP password for
// sipTestNumber; it returns the server and the password.
func sipServer(t *testing.T, extra ...string) (*runningServer, string) {
	t.Helper()
	data := t.TempDir()
	out, err := exec.Command(binary(t), "server", "sip-password", "+1 202 555 0101", "--data", data).Output()
	if err != nil {
		t.Fatalf("sip-password: %v", err)
	}
	pass := strings.TrimSpace(string(out))
	if len(pass) < 20 {
		t.Fatalf("password %q", pass)
	}
	rs := startServer(t, append([]string{"--data", data, "--sip", "127.0.0.1:0"}, extra...)...)
	return rs, pass
}

// freePort returns a UDP and TCP port that was free a moment ago, for tools
// that cannot bind port 0 and say which they got.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// freeSIPPort returns a port that baresip can listen on: UDP and TCP on it,
// and TCP on the next one, where it puts SIP over TLS.
func freeSIPPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		p := freePort(t)
		var closers []io.Closer
		ok := true
		for _, try := range []func() (io.Closer, error){
			func() (io.Closer, error) { return net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p)) },
			func() (io.Closer, error) { return net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)) },
			func() (io.Closer, error) { return net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1)) },
		} {
			c, err := try()
			if err != nil {
				ok = false
				break
			}
			closers = append(closers, c)
		}
		for _, c := range closers {
			c.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no free port pair for baresip")
	return 0
}

// startBaresip runs a headless baresip with one account for number at the
// server's SIP address.
func startBaresip(t *testing.T, sipAddr, number, password string) {
	t.Helper()
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Skip("baresip is not on PATH (Debian package baresip-core; make deps installs it)")
	}
	dir := t.TempDir()
	config := fmt.Sprintf(`module_path /usr/lib/baresip/modules
sip_listen 127.0.0.1:%d
audio_player aufile,/dev/null
audio_source ausine,440
module g711.so
module ausine.so
module aufile.so
module_app account.so
`, freeSIPPort(t))
	account := fmt.Sprintf("<sip:%s@%s;transport=udp>;auth_pass=%s;regint=600\n", number, sipAddr, password)
	for name, body := range map[string]string{"config": config, "accounts": account, "contacts": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "baresip", "-f", dir)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("baresip log:\n%s", log.String())
		}
	})
}

// waitMetric polls the server's /metrics until line appears; the server's
// counters are where a SIP peer's result shows.
func waitMetric(t *testing.T, admin, line string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		m := httpGet(t, "http://"+admin+"/metrics")
		if strings.Contains(m, line) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %q:\n%s", line, grepLines(m, "sip"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSIPRegisterBaresip(t *testing.T) {
	// Debian's baresip 1.0 takes the first challenge and cannot do
	// SHA-256, so this server offers MD5 only.
	rs, pass := sipServer(t, "--sip-digest", "MD5")
	admin := strings.TrimSuffix(strings.TrimPrefix(rs.addrs["admin"], "http://"), "/metrics")

	startBaresip(t, rs.addrs["sip"], sipTestNumber, "wrong-password")
	waitMetric(t, admin, `dialtone_sip_events_total{event="auth_failure"} 1`)
	if m := httpGet(t, "http://"+admin+"/metrics"); !strings.Contains(m, "dialtone_sip_registrations 0") {
		t.Fatalf("the wrong password registered:\n%s", grepLines(m, "sip"))
	}
	startBaresip(t, rs.addrs["sip"], sipTestNumber, pass)
	waitMetric(t, admin, "dialtone_sip_registrations 1")
	out, err := exec.Command(binary(t), "server", "numbers", "--admin", admin).CombinedOutput()
	if err != nil || !strings.Contains(string(out), sipTestNumber) || !strings.Contains(string(out), "SIP_CONTACTS") ||
		!strings.Contains(string(out), "sip:"+sipTestNumber) {
		t.Fatalf("server numbers: %v\n%s", err, out)
	}
	metrics := httpGet(t, "http://"+admin+"/metrics")
	for _, want := range []string{`dialtone_sip_events_total{event="register"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, grepLines(metrics, "sip"))
		}
	}
}

// TestSIPProtocolEdgesSipp drives the registrar with sipp scenarios.
func TestSIPProtocolEdgesSipp(t *testing.T) {
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Skip("sipp is not on PATH (Debian package sip-tester; make deps installs it)")
	}
	// sipp's digest is MD5 only, and it answers the first challenge.
	rs, pass := sipServer(t, "--sip-digest", "MD5")
	for _, tc := range []struct{ scen, callee, status string }{
		{"wrong-password", "", ""}, {"right-password", "", ""}, {"malformed", "", ""}, {"right-password", "", ""},
		{"invite", "+12025550177", "404"}, // a number the server does not hold
		{"delayed-offer", "600", ""},      // no offer in the INVITE: the server offers in its 200, sipp answers in its ACK
		{"invite-g711", "600", ""},        // G.711 only: taken, transcoded to and from Opus
		{"reinvite-hold", "600", ""},      // hold mid-call: recvonly from the same lease
	} {
		scen := tc.scen
		t.Run(scen+tc.callee, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", "sipp", scen+".xml"))
			if err != nil {
				t.Fatal(err)
			}
			xml := strings.NewReplacer("@NUMBER@", sipTestNumber, "@PASSWORD@", pass,
				"@CALLEE@", tc.callee, "@STATUS@", tc.status).Replace(string(src))
			dir := t.TempDir()
			file := filepath.Join(dir, scen+".xml")
			if err := os.WriteFile(file, []byte(xml), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "sipp", "-sf", file, "-m", "1", "-i", "127.0.0.1", "-p", strconv.Itoa(freeSIPPort(t)),
				"-t", "u1", "-timeout", "10", "-nostdin", "-trace_err", "-error_file", filepath.Join(dir, "err.log"), rs.addrs["sip"])
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
				t.Fatalf("sipp %s: %v\n%s\n%s", scen, err, errs, lastLines(string(out), 20))
			}
		})
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
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

func httpGet(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
