package main

import (
	"context"
	be "encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
)

// sippProc is a sipp run in the background.
type sippProc struct {
	done chan struct{}
	err  error
	out  []byte
	dir  string
}

// startSipp runs sipp with scenario (a file in testdata/sipp, with the
// replacements made) and args, and returns once it listens on port.
func startSipp(t *testing.T, scenario string, repl map[string]string, port int, transport string, args ...string) *sippProc {
	t.Helper()
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Skip("sipp is not on PATH (Debian package sip-tester; make deps installs it)")
	}
	src, err := os.ReadFile(filepath.Join("testdata", "sipp", scenario+".xml"))
	if err != nil {
		t.Fatal(err)
	}
	xml := string(src)
	for k, v := range repl {
		xml = strings.ReplaceAll(xml, k, v)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, scenario+".xml")
	if err := os.WriteFile(file, []byte(xml), 0o600); err != nil {
		t.Fatal(err)
	}
	mode := "u1"
	if transport == "TCP" {
		mode = "t1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	all := append([]string{"-sf", file, "-m", "1", "-i", "127.0.0.1", "-p", strconv.Itoa(port), "-mp", strconv.Itoa(freePort(t)),
		"-t", mode, "-timeout", "30", "-nostdin", "-trace_err", "-error_file", filepath.Join(dir, "err.log"),
		"-trace_msg", "-message_file", filepath.Join(dir, "msg.log")}, args...)
	cmd := exec.CommandContext(ctx, "sipp", all...)
	cmd.Dir = dir
	p := &sippProc{done: make(chan struct{}), dir: dir}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		p.out = []byte(out.String())
		cancel()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	if transport != "TCP" {
		return p // an INVITE sent before sipp binds is sent again (RFC 3261 timer A)
	}
	// sipp says nothing when it listens; its socket taking a connection is the event.
	waitFor(t, func() bool {
		select {
		case <-p.done:
			t.Fatalf("sipp exited before listening: %v\n%s", p.err, lastLines(string(p.out), 20))
		default:
		}
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	}, "sipp listening on "+strconv.Itoa(port))
	return p
}

// wait waits for sipp to finish its one call and fails the test unless
// the scenario passed.
func (p *sippProc) wait(t *testing.T) {
	t.Helper()
	p.waitFor(t, 40*time.Second)
}

// waitFor is wait with a bound for scenarios that take long.
func (p *sippProc) waitFor(t *testing.T, bound time.Duration) {
	t.Helper()
	msgs := func() string {
		b, _ := os.ReadFile(filepath.Join(p.dir, "msg.log"))
		return lastLines(string(b), 120)
	}
	select {
	case <-p.done:
	case <-time.After(bound):
		t.Fatalf("sipp did not finish its scenario; its messages:\n%s", msgs())
	}
	if p.err != nil {
		errs, _ := os.ReadFile(filepath.Join(p.dir, "err.log"))
		t.Fatalf("sipp: %v\n%s\n%s\nits messages:\n%s", p.err, errs, lastLines(string(p.out), 25), msgs())
	}
}

// sippMessage is one message in sipp's message log.
type sippMessage struct {
	sent bool
	text string
}

// messages reads sipp's message log (-trace_msg) once it has finished.
func (p *sippProc) messages(t *testing.T) []sippMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dir, "msg.log"))
	if err != nil {
		t.Fatal(err)
	}
	var out []sippMessage
	for _, block := range strings.Split(string(b), "-----------------------------------------------") {
		head, text, ok := strings.Cut(block, ":\n")
		if !ok {
			continue
		}
		out = append(out, sippMessage{sent: strings.Contains(head, "message sent"), text: strings.TrimSpace(text)})
	}
	return out
}

// startServerLogged is startServer with the server's stderr kept in a
// file, whose path it returns.
func startServerLogged(t *testing.T, args ...string) (*runningServer, string) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "server.log")
	rs := startServerUnder(t, []string{"sh", "-c", `exec "$@" 2>"$0"`, log}, args...)
	t.Cleanup(func() {
		if b, _ := os.ReadFile(log); t.Failed() {
			t.Logf("server log:\n%s", lastLines(string(b), 80))
		}
	})
	return rs, log
}

// TestSIPTrunkDigestSipp: a trunk (sipp) that challenges the server's
// INVITE with 407 gets it again with the digest of the account in the
// server's config file, MD5 or SHA-256 as it asks, over the route's
// transport (UDP, or TCP for ;transport=tcp, sipp listening on that one
// only); the ACK carries the credentials too, and a challenged BYE is sent
// again with them. Wrong credentials meet a second challenge: the server
// gives up, and the dialtone caller is refused rather than left ringing.
// The password is in no log line.
func TestSIPTrunkDigestSipp(t *testing.T) {
	binary(t)
	const password = "tr-unk:pa55 word"
	const md5OK = `<verifyauth assign_to="good" username="trunkuser" password="` + password + `"/>`
	// sipp's verifyauth reads Authorization, not Proxy-Authorization, and
	// the SHA-256 answer it cannot check; for those the scenario checks the
	// answer's shape.
	const sha256OK = `<ereg regexp="response=\"[0-9a-f]{64}\"" search_in="hdr" header="Proxy-Authorization:" check_it="false" assign_to="good"/>`
	for i, tc := range []struct {
		name, transport, alg, verify string
		proxy, good                  bool // 407 rather than 401; the INVITE gets through
	}{
		{"udp md5 401", "UDP", "MD5", md5OK, false, true},
		{"tcp sha256 407", "TCP", "SHA-256", sha256OK, true, true},
		{"udp wrong password", "UDP", "MD5", `<verifyauth assign_to="good" username="trunkuser" password="not the server's"/>`, false, false},
		{"tcp challenged twice", "TCP", "MD5", `<ereg regexp="no digest has this" search_in="hdr" header="Proxy-Authorization:" check_it="false" assign_to="good"/>`, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := freePort(t)
			repl := map[string]string{"@VERIFY@": tc.verify, "@ALG@": tc.alg, "@USER@": "trunkuser", "@PASSWORD@": password,
				"@TRANSPORT@": tc.transport, "@CHALLENGE@": "401 Unauthorized", "@AUTHENTICATE@": "WWW-Authenticate", "@AUTHORIZATION@": "Authorization"}
			if tc.proxy {
				repl["@CHALLENGE@"], repl["@AUTHENTICATE@"], repl["@AUTHORIZATION@"] = "407 Proxy Authentication Required", "Proxy-Authenticate", "Proxy-Authorization"
			}
			provider := startSipp(t, "trunk-provider", repl, port, tc.transport)
			route := fmt.Sprintf("+44=sip:127.0.0.1:%d", port)
			if tc.transport == "TCP" {
				route += ";transport=tcp"
			}
			conf := filepath.Join(t.TempDir(), "server.toml")
			body := fmt.Sprintf("sip = \"127.0.0.1:0\"\nsip-route = %q\nsip-route-auth = %q\nlog-level = \"debug\"\n",
				route, "+44=trunkuser:"+password)
			if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			rs, logFile := startServerLogged(t, "--config", conf, "--pool", fmt.Sprintf("127.77.%d.0/24", 140+i))
			caller := startCall(t, rs.addrs["signalling"], "+15550100051", "--dial", trunkNumber, "--duration", "1s")
			if tc.good {
				caller.waitFor(t, call.EventAccepted)
				// sipp sends no media; the test sends Opus to the trunk
				// party's lease in its place, until the caller decodes it.
				stop := feedOpus(t, trunkLease(t, rs))
				caller.waitFor(t, call.EventConnected)
				stop()
				if code := caller.exit(t); code != exitCallOK {
					t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
				}
			} else {
				caller.waitFor(t, call.EventRefused)
				if code := caller.exit(t); code != exitCallRefused {
					t.Fatalf("caller exited %d, want %d (refused); events %s", code, exitCallRefused, caller.kinds())
				}
			}
			provider.wait(t)
			checkLeaseBack(t, rs, trunkNumber)
			log, err := os.ReadFile(logFile)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(log), password) || strings.Contains(string(log), "pa55") {
				t.Errorf("the trunk's password is in the server's log:\n%s", log)
			}
			if refused := strings.Contains(string(log), "the SIP trunk refused the server's credentials"); refused == tc.good {
				t.Errorf("the log says the trunk refused the credentials: %v, want %v:\n%s", refused, !tc.good, grepLines(string(log), "trunk"))
			}
		})
	}
}

// trunkLease is the lease of the live call's trunk party.
func trunkLease(t *testing.T, rs *runningServer) netip.AddrPort {
	t.Helper()
	for _, c := range liveCalls(t, rs) {
		if c.CalleeVia == "trunk" {
			ap, err := netip.ParseAddrPort(c.CalleeLease)
			if err != nil {
				t.Fatalf("the trunk party's lease %q: %v", c.CalleeLease, err)
			}
			return ap
		}
	}
	t.Fatalf("no live call with a trunk party: %+v", liveCalls(t, rs))
	return netip.AddrPort{}
}

// feedOpus sends Opus RTP (payload type 111, 20 ms silence frames) to to
// at the pace of real audio until the returned stop is called.
func feedOpus(t *testing.T, to netip.AddrPort) (stop func()) {
	t.Helper()
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(to))
	if err != nil {
		t.Fatal(err)
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		pkt := []byte{0x80, 111, 0, 0, 0, 0, 0, 0, 0x51, 0x50, 0x7e, 0x57, 0xf8, 0xff, 0xfe}
		for seq := uint16(1); ; seq++ {
			be.BigEndian.PutUint16(pkt[2:], seq)
			be.BigEndian.PutUint32(pkt[4:], uint32(seq)*960)
			conn.Write(pkt)
			select {
			case <-quit:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { close(quit); <-done; conn.Close() }) }
	t.Cleanup(stop)
	return stop
}
