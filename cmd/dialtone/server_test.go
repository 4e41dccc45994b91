package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// binary builds dialtone once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dialtone-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "dialtone")
		out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building dialtone: %v", buildErr)
	}
	return builtBin
}

// runningServer is a `dialtone server` process and the addresses it printed.
type runningServer struct {
	cmd   *exec.Cmd
	addrs map[string]string
	done  chan struct{} // closed when the process has exited; err says how
	err   error
}

func startServer(t *testing.T, args ...string) *runningServer {
	t.Helper()
	return startServerUnder(t, nil, args...)
}

// startServerUnder runs the server under a wrapper command (e.g. prlimit).
func startServerUnder(t *testing.T, wrap []string, args ...string) *runningServer {
	t.Helper()
	all := []string{"server", "--listen", "127.0.0.1:0", "--dns", "127.0.0.1:0", "--admin", "127.0.0.1:0"}
	if !containsFlag(args, "--relay") {
		all = append(all, "--relay", "127.0.0.1:0")
	}
	if !containsFlag(args, "--pool") {
		all = append(all, "--pool", "127.77.4.0/24")
	}
	all = append(all, args...)
	if !containsFlag(args, "--data") {
		all = append(all, "--data", t.TempDir())
	}
	argv := append(append(append([]string(nil), wrap...), binary(t)), all...)
	cmd := exec.Command(argv[0], argv[1:]...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rs := &runningServer{cmd: cmd, addrs: map[string]string{}, done: make(chan struct{})}
	sc := bufio.NewScanner(out)
	// The admin address is printed last.
	for rs.addrs["admin"] == "" && sc.Scan() {
		f := strings.Fields(sc.Text())
		rs.addrs[f[0]] = f[len(f)-1]
	}
	if rs.addrs["admin"] == "" {
		cmd.Process.Kill()
		t.Fatalf("the server printed %v", rs.addrs)
	}
	go func() {
		for sc.Scan() {
		}
		rs.err = cmd.Wait()
		close(rs.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-rs.done
	})
	return rs
}

func containsFlag(args []string, f string) bool {
	for _, a := range args {
		if a == f {
			return true
		}
	}
	return false
}

func TestServerBinary(t *testing.T) {
	rs := startServer(t)
	for _, k := range []string{"signalling", "browser", "dns", "relay", "admin"} {
		if strings.HasSuffix(rs.addrs[k], ":0") || rs.addrs[k] == "" {
			t.Fatalf("%s printed %q, not the bound address", k, rs.addrs[k])
		}
	}
	url := rs.addrs["signalling"]
	a := servertest.Register(t, url, "+15550100001")
	b := servertest.Register(t, url, "+15550100002")
	seq := a.Send(&wire.Message{Type: wire.TypeDial, To: b.Number})
	id := a.ExpectReply(seq).Call
	b.Expect(wire.TypeIncoming, id)
	b.Send(&wire.Message{Type: wire.TypeAccept, Call: id})
	a.Expect(wire.TypeAccepted, id)

	admin := strings.TrimSuffix(strings.TrimPrefix(rs.addrs["admin"], "http://"), "/metrics")
	out, err := exec.Command(binary(t), "server", "leases", "--admin", admin).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "NUMBER") || !strings.Contains(string(out), "+15550100001") || !strings.Contains(string(out), "127.77.4.") {
		t.Fatalf("server leases: %v\n%s", err, out)
	}
	out, err = exec.Command(binary(t), "server", "numbers", "--admin", admin).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "+15550100002") || !strings.Contains(string(out), "600") {
		t.Fatalf("server numbers: %v\n%s", err, out)
	}

	// SIGTERM ends the call properly: both parties are told, and the
	// process exits cleanly.
	rs.cmd.Process.Signal(syscall.SIGTERM)
	for _, c := range []*servertest.Client{a, b} {
		if m := c.Expect(wire.TypeEnded, id); m.Reason != wire.ReasonShutdown {
			t.Fatalf("ended %q", m.Reason)
		}
	}
	select {
	case <-rs.done:
		if rs.err != nil {
			t.Fatalf("server exited with %v", rs.err)
		}
	case <-time.After(servertest.Wait):
		t.Fatal("server did not exit after SIGTERM")
	}
}

func TestServerInvite(t *testing.T) {
	data := t.TempDir()
	out, err := exec.Command(binary(t), "server", "invite", "+1 555 010 0007", "--data", data).Output()
	if err != nil {
		t.Fatalf("invite: %v", err)
	}
	code := strings.TrimSpace(string(out))
	if len(code) < 16 {
		t.Fatalf("invite code %q", code)
	}
	if _, err := exec.Command(binary(t), "server", "invite", "not a number", "--data", data).Output(); err == nil {
		t.Fatal("invite accepted a bad number")
	}
	rs := startServer(t, "--registration", "invite", "--data", data)
	c := servertest.Dial(t, rs.addrs["signalling"])
	c.Number, c.Key = "+15550100007", servertest.NewKey()
	if m := c.Login(code, ""); m.Type != wire.TypeRegistered {
		t.Fatalf("registering with the invite: %s %s", m.Type, m.Code)
	}
}

func TestServerFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"server", "--ports", "9-1"},
		{"server", "--pool", "not-a-prefix"},
		{"server", "--records-keep", "ninety days"},
		{"server", "--records-keep", "-1h"},
		{"server", "--dns-workers", "-1", "--listen", "127.0.0.1:0", "--data", t.TempDir()},
		{"server", "--registration", "maybe", "--listen", "127.0.0.1:0", "--data", t.TempDir()},
		{"server", "--media", "relay", "--relay", "", "--listen", "127.0.0.1:0", "--data", t.TempDir()},
	} {
		out, err := exec.Command(binary(t), args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "dialtone:") {
			t.Errorf("%v: err %v, output %s", args, err, out)
		}
	}
}

func TestParseDays(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * 24 * time.Hour, true},
		{"0", 0, true},
		{"720h", 720 * time.Hour, true},
		{"1.5d", 0, false},
		{"-1h", 0, false},
		{"d", 0, false},
	} {
		got, err := parseDays(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseDays(%q) = %v, %v; want %v ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
