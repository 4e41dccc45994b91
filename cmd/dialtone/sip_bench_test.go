package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
)

var sipBench = flag.Duration("sip-bench", 0, "TestSIPBench: how long each SIP benchmark runs (make bench: 15s); 0 skips it")
var sipRegs = flag.Int("sip-bench-registrations", 10000, "TestSIPBench: registrations sipp makes")

// TestSIPBench measures the SIP side for the README's table: registrations
// a second (sipp, digest), call set-ups a second through the gateway (sipp
// to the echo test), the server's CPU per bridged call (baresip to
// dialtone phones, Opus and VP8 passed through), and the latency the
// bridge adds (a dialtone call through two servers' gateways against the
// same call direct). Run it with -v: the figures are in the log.
func TestSIPBench(t *testing.T) {
	if *sipBench == 0 {
		t.Skip("-sip-bench not given")
	}
	binary(t)
	t.Run("registrations and set-ups", benchSipp)
	t.Run("CPU per bridged call", benchBridgedCPU)
	t.Run("bridge latency", benchBridgeLatency)
}

// sipUsers creates n SIP numbers' passwords in the server data directory
// data with `dialtone server sip-password` and writes them as a sipp
// injection file.
func sipUsers(t *testing.T, data string, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for i := range n {
		num := fmt.Sprintf("+1555020%04d", i)
		out, err := exec.Command(binary(t), "server", "sip-password", num, "--data", data).Output()
		if err != nil {
			t.Fatalf("sip-password %s: %v", num, err)
		}
		fmt.Fprintf(&b, "%s;[authentication username=%s password=%s]\n", num, num, strings.TrimSpace(string(out)))
	}
	file := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// cpuTicks is a process's user + system time in clock ticks (USER_HZ,
// 100 on Linux).
func cpuTicks(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name may hold spaces; the fields after its ")" are fixed.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return u + s
}

const userHZ = 100

func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// sippResult is what sipp's final statistics say.
type sippResult struct {
	ok, failed int
	elapsed    time.Duration
	out, errs  string // sipp's screen, the start of its error log
}

var (
	sippOK     = regexp.MustCompile(`Successful call\s+\|\s+\d+\s+\|\s+(\d+)`)
	sippFailed = regexp.MustCompile(`Failed call\s+\|\s+\d+\s+\|\s+(\d+)`)
)

// runSipp runs a bench scenario from testdata/sipp with users and the
// replacements, as UAC from 127.0.0.1 on one UDP socket.
func runSipp(t *testing.T, server, scen, users string, repl []string, args ...string) sippResult {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "sipp", scen+".xml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, scen+".xml")
	if err := os.WriteFile(file, []byte(strings.NewReplacer(repl...).Replace(string(src))), 0o600); err != nil {
		t.Fatal(err)
	}
	all := append([]string{"-sf", file, "-inf", users, "-i", "127.0.0.1", "-p", strconv.Itoa(freeSIPPort(t)),
		"-t", "u1", "-nostdin", "-timeout", "120", "-timeout_error", "-max_socket", "1000", "-trace_err", "-error_file", filepath.Join(dir, "err.log")}, args...)
	cmd := exec.Command("sipp", append(all, server)...)
	cmd.Dir = dir
	start := time.Now()
	out, _ := cmd.CombinedOutput() // sipp exits 1 when a call failed; the counts say how many
	r := sippResult{elapsed: time.Since(start), out: string(out)}
	errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
	r.errs = failures(string(errs))
	okM, failM := sippOK.FindAllStringSubmatch(r.out, -1), sippFailed.FindAllStringSubmatch(r.out, -1)
	if len(okM) == 0 || len(failM) == 0 {
		t.Fatalf("sipp printed no statistics:\n%s", lastLines(r.out, 40))
	}
	r.ok, _ = strconv.Atoi(okM[len(okM)-1][1])
	r.failed, _ = strconv.Atoi(failM[len(failM)-1][1])
	return r
}

// failures counts what sipp's error log says calls failed on.
func failures(errs string) string {
	n := map[string]int{}
	for _, m := range regexp.MustCompile(`while expecting[^,]*, received 'SIP/2.0 ([^\r\n]*)|(Aborting call[^:]*timeout[^\n]*)|(call-id[^\n]*timed out)`).FindAllStringSubmatch(errs, -1) {
		n[m[1]+m[2]+m[3]]++
	}
	var out []string
	for k, v := range n {
		out = append(out, fmt.Sprintf("%d× %s", v, k))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// benchSipp: sipp registers 100 numbers with their digests as fast as the
// server answers (at most 200 at once), then places calls from them to the
// echo test (600), each held half a second.
func benchSipp(t *testing.T) {
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Skip("sipp is not on PATH (Debian package sip-tester; make deps installs it)")
	}
	data := t.TempDir()
	users := sipUsers(t, data, 100)
	// One source address carries every phone here, so its message rate is
	// raised and the switchboard's dials per address are not limited;
	// sipp's digest is MD5 only.
	rs := startServer(t, "--data", data, "--sip", "127.0.0.1:0", "--sip-digest", "MD5", "--sip-rate", "1000000", "--dial-limits=false",
		"--pool", "127.79.0.0/22", "--log-level", "warn")
	pid := rs.cmd.Process.Pid
	secs := sipBench.Seconds()

	c0 := cpuTicks(t, pid)
	reg := runSipp(t, rs.addrs["sip"], "bench-register", users, nil,
		"-r", "4000", "-l", "200", "-m", strconv.Itoa(int(*sipRegs)))
	cpu := (cpuTicks(t, pid) - c0) / userHZ
	if reg.ok == 0 {
		t.Fatalf("no registration succeeded:\n%s\n%s", lastLines(reg.out, 40), reg.errs)
	}
	t.Logf("SIP registrations (sipp, digest MD5, 401 then 200, 100 numbers, up to 200 at once): %d in %.1fs = %.0f /s, %d failed; server CPU %.0f µs per registration (%.0f %% of one core); load average %s",
		reg.ok, reg.elapsed.Seconds(), float64(reg.ok)/reg.elapsed.Seconds(), reg.failed,
		1e6*cpu/float64(reg.ok), 100*cpu/reg.elapsed.Seconds(), loadAverage())

	// Calls: a number's lease carries one call at a time, and the echo
	// test takes 32 at once (and frees a place a moment after the BYE), so at most 20 of the 100 numbers call at
	// once; sipp asks for 100 a second, and gets what the server manages.
	c0 = cpuTicks(t, pid)
	calls := runSipp(t, rs.addrs["sip"], "bench-call", users, []string{"@CALLEE@", "600", "@HOLD@", "500"},
		"-r", "100", "-l", "20", "-m", strconv.Itoa(int(40*secs)))
	cpu = (cpuTicks(t, pid) - c0) / userHZ
	if calls.ok == 0 {
		t.Fatalf("no call succeeded:\n%s\n%s", lastLines(calls.out, 60), calls.errs)
	}
	if calls.failed > 0 {
		t.Logf("failed calls: %s", calls.errs)
	}
	t.Logf("SIP call set-ups to 600 (sipp, INVITE 407 then authenticated INVITE, 200, ACK, 0.5 s, BYE; up to 20 at once): %d in %.1fs = %.1f /s, %d failed; server CPU %.1f ms per call (%.0f %% of one core); load average %s",
		calls.ok, calls.elapsed.Seconds(), float64(calls.ok)/calls.elapsed.Seconds(), calls.failed,
		1e3*cpu/float64(calls.ok), 100*cpu/calls.elapsed.Seconds(), loadAverage())
}

// benchBridgedCPU: three baresip phones (Opus and VP8, 320x240@15) call
// three dialtone phones (test pattern 320x240, tone) at once through the
// gateway; the server's CPU over the calls' steady part, per call.
func benchBridgedCPU(t *testing.T) {
	const n = 3
	data := t.TempDir()
	var pass [n]string
	for i := range n {
		out, err := exec.Command(binary(t), "server", "sip-password", fmt.Sprintf("+1555021%04d", i), "--data", data).Output()
		if err != nil {
			t.Fatal(err)
		}
		pass[i] = strings.TrimSpace(string(out))
	}
	rs := startServer(t, "--data", data, "--sip", "127.0.0.1:0", "--sip-digest", "MD5", "--pool", "127.79.4.0/24", "--log-level", "warn")
	pid := rs.cmd.Process.Pid
	var phones [n]*baresipPhone
	var callees [n]*callProc
	for i := range n {
		phones[i] = startBaresipPhone(t, rs.addrs["sip"], fmt.Sprintf("+1555021%04d", i), pass[i], 440)
		callees[i] = startCall(t, rs.addrs["signalling"], fmt.Sprintf("+1555031%04d", i), "--answer", "auto", "--max-calls", "1",
			"--camera", "test", "--mic", "tone:660", "--speaker", "none")
		callees[i].waitFor(t, call.EventRegistered)
	}
	// The server's CPU with the phones registered and no call: a
	// measuring window, nothing to wait for.
	idle0, idleStart := cpuTicks(t, pid), time.Now()
	time.Sleep(2 * time.Second)
	idle := (cpuTicks(t, pid) - idle0) / userHZ / time.Since(idleStart).Seconds()
	for i := range n {
		phones[i].do("dial", fmt.Sprintf("sip:+1555031%04d@%s", i, rs.addrs["sip"]))
	}
	for i := range n {
		phones[i].waitEvent("CALL_ESTABLISHED")
		callees[i].waitFor(t, call.EventConnected)
	}
	c0, start := cpuTicks(t, pid), time.Now()
	m0 := httpGet(t, "http://"+adminOf(rs)+"/metrics")
	// The calls run; nothing to wait for but the measuring window.
	time.Sleep(*sipBench)
	cpu := (cpuTicks(t, pid) - c0) / userHZ
	el := time.Since(start).Seconds()
	m1 := httpGet(t, "http://"+adminOf(rs)+"/metrics")
	for i := range n {
		phones[i].do("hangup", "")
		phones[i].waitEvent("CALL_CLOSED")
	}
	from := metricValue(m1, `dialtone_sip_rtp_packets_total{direction="from_sip"}`) - metricValue(m0, `dialtone_sip_rtp_packets_total{direction="from_sip"}`)
	to := metricValue(m1, `dialtone_sip_rtp_packets_total{direction="to_sip"}`) - metricValue(m0, `dialtone_sip_rtp_packets_total{direction="to_sip"}`)
	if from == 0 || to == 0 {
		t.Fatalf("no RTP bridged: %v from SIP, %v to SIP", from, to)
	}
	t.Logf("bridged calls (%d baresip → dialtone at once, Opus + VP8 passthrough, %.0fs): server CPU %.1f %% of one core per call (%.1f %% for all, %.2f %% with the phones registered and no call), %.0f RTP packets/s per call from SIP and %.0f to SIP; load average %s",
		n, el, 100*cpu/el/n, 100*cpu/el, 100*idle, from/el/n, to/el/n, loadAverage())
}

func metricValue(metrics, name string) float64 {
	for _, l := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

// benchBridgeLatency: the test pattern's capture → decode latency of a
// dialtone call direct, and of the same call through two gateways: server
// A sends the call to a trunk that is server B's SIP side (--sip-route),
// and B bridges it to its own dialtone phone, so the media crosses A's
// trunk party, RTP between the two servers and B's SIP party.
func benchBridgeLatency(t *testing.T) {
	b := startServer(t, "--sip", "127.0.0.1:0", "--sip-trunk-allow", "127.0.0.1/32", "--pool", "127.79.6.0/24", "--log-level", "warn")
	a := startServer(t, "--sip", "127.0.0.1:0", "--sip-route", "+1555040="+"sip:"+b.addrs["sip"], "--pool", "127.79.7.0/24", "--log-level", "warn")
	// Each call has its own numbers: a number is bound to the first
	// key it registered with, and one server A holds is never sent to
	// the trunk.
	measure := func(name, from, callee string, caller, answerer *runningServer) call.Stats {
		t.Helper()
		ans := startCall(t, answerer.addrs["signalling"], callee, "--answer", "auto", "--max-calls", "1",
			"--camera", "test", "--mic", "tone:660", "--speaker", "none")
		ans.waitFor(t, call.EventRegistered)
		stats := filepath.Join(t.TempDir(), "stats.json")
		cal := startCall(t, caller.addrs["signalling"], from, "--dial", callee, "--camera", "test", "--mic", "tone:440",
			"--speaker", "none", "--duration", sipBench.String(), "--stats", stats)
		if code := cal.exit(t); code != 0 {
			t.Fatalf("%s: caller exited %d; events %+v; stderr:\n%s", name, code, cal.all, cal.stderr.String())
		}
		ans.exit(t)
		return readStats(t, stats)
	}
	direct := measure("direct", "+15550400002", "+15550400001", a, a)
	bridged := measure("through the gateways", "+15550400012", "+15550400011", a, b)
	dp, bp := direct.Video.Pattern, bridged.Video.Pattern
	if dp == nil || bp == nil {
		t.Fatalf("no pattern latency: direct %+v, bridged %+v", direct.Video, bridged.Video)
	}
	t.Logf("capture → decode latency of the test pattern, %s calls: direct p50 %.1f ms p95 %.1f ms; through two gateways (trunk party, RTP, SIP party) p50 %.1f ms p95 %.1f ms (%.1f fps, audio %.0f Hz); the bridge adds %.1f ms p50 each; load average %s",
		sipBench.String(), dp.LatencyMsP50, dp.LatencyMsP95, bp.LatencyMsP50, bp.LatencyMsP95, bridged.Video.FPS, bridged.Audio.ToneHz,
		(bp.LatencyMsP50-dp.LatencyMsP50)/2, loadAverage())
}
