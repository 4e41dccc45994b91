package main

import (
	"bufio"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/call"
)

// The real binaries: a device links a second one with dialtone link, both
// ring, a refusal on one leaves the call to the other, dialtone linked
// lists both, and dialtone unlink throws the second off at once.
func TestLinkBinary(t *testing.T) {
	data := t.TempDir()
	rs := startServer(t, "--pool", "127.77.9.0/24", "--data", data)
	url := rs.addrs["signalling"]
	const num = "+15550100021"
	first := t.TempDir()
	dev := func(args ...string) *exec.Cmd {
		return exec.Command(binary(t), append(args, "--server", url, "--number", num, "--data", first, "--config", "", "--device", "desk")...)
	}

	link := dev("link", "--wait", "20s")
	out, err := link.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := link.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { link.Process.Kill(); link.Wait() })
	sc := bufio.NewScanner(out)
	codeLine := regexp.MustCompile(`^link code ([0-9A-Z-]{19}) for \` + num)
	var code string
	var qr int
	for code == "" && sc.Scan() {
		if strings.ContainsAny(sc.Text(), "█▀▄") {
			qr++
		}
		if m := codeLine.FindStringSubmatch(sc.Text()); m != nil {
			code = m[1]
		}
	}
	if code == "" || qr < 10 {
		t.Fatalf("dialtone link printed no code (and %d lines of QR code)", qr)
	}

	laptop := startCall(t, url, num, "--link", code, "--device", "laptop", "--answer", "auto", "--max-calls", "1",
		"--camera", "none", "--mic", "none", "--speaker", "none")
	laptop.waitFor(t, call.EventRegistered)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `linked "laptop"`) {
			break
		}
	}
	if err := link.Wait(); err != nil {
		t.Fatalf("dialtone link: %v", err)
	}

	desk := startCall(t, url, num, "--data", first, "--answer", "refuse", "--max-calls", "1")
	desk.waitFor(t, call.EventRegistered)
	caller := startCall(t, url, "+15550100022", "--dial", num, "--duration", "1s", "--camera", "none", "--mic", "none")
	desk.waitFor(t, call.EventIncoming)
	laptop.waitFor(t, call.EventIncoming)
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	if code := laptop.exit(t); code != 0 {
		t.Fatalf("laptop exited %d; events %s", code, laptop.kinds())
	}
	if got, want := laptop.kinds(), "registered incoming accepted trust connected ended"; got != want {
		t.Errorf("laptop events: %s, want %s", got, want)
	}

	listed, err := dev("linked").CombinedOutput()
	if err != nil || !strings.Contains(string(listed), "laptop") || !strings.Contains(string(listed), "desk (this)") {
		t.Fatalf("dialtone linked: %v\n%s", err, listed)
	}
	again := startCall(t, url, num, "--answer", "auto", "--device", "laptop", "--data", laptopData(laptop))
	again.waitFor(t, call.EventRegistered)
	if out, err := dev("unlink", "laptop").CombinedOutput(); err != nil {
		t.Fatalf("dialtone unlink: %v\n%s", err, out)
	}
	if code := again.exit(t); code != exitCallError {
		t.Fatalf("the unlinked device exited %d; events %s", code, again.kinds())
	}
	if !strings.Contains(again.stderr.String(), "unlinked") {
		t.Errorf("the unlinked device did not say why:\n%s", again.stderr.String())
	}

	// The operator's unlink, on the server's data directory.
	for _, tc := range []struct{ name, want string }{
		{"laptop", "has no device called"},
		{"desk", "only device"},
	} {
		out, err := exec.Command(binary(t), "server", "unlink", num, tc.name, "--data", data).CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("server unlink %s: %v\n%s", tc.name, err, out)
		}
	}
}

// laptopData is the --data directory a callProc ran with.
func laptopData(p *callProc) string {
	args := p.cmd.Args
	for i := len(args) - 2; i >= 0; i-- {
		if args[i] == "--data" {
			return args[i+1]
		}
	}
	return ""
}
