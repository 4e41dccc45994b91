package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
)

// TestSIPBridgeCPU measures the server's CPU for one SIP call bridged to a
// dialtone phone (baresip ↔ gateway ↔ `dialtone call`, 320×240 video and a
// tone both ways), once with Opus passed through and once with baresip on
// G.711 alone, transcoded. It runs only for `make bench`:
// DIALTONE_BENCH_SIP_CPU=DURATION (per call, e.g. 20s).
func TestSIPBridgeCPU(t *testing.T) {
	spec := os.Getenv("DIALTONE_BENCH_SIP_CPU")
	if spec == "" {
		t.Skip("a benchmark: DIALTONE_BENCH_SIP_CPU=20s runs it (make bench)")
	}
	d, err := time.ParseDuration(spec)
	if err != nil {
		t.Fatalf("DIALTONE_BENCH_SIP_CPU=%q: %v", spec, err)
	}
	binary(t)
	var share [2]float64
	for i, audio := range []string{"module opus.so\nmodule vp8.so", g711Codecs + "\nmodule vp8.so"} {
		rs, pass := sipServer(t, "--sip-digest", "MD5", "--pool", fmt.Sprintf("127.77.%d.0/24", 28+i), "--log-level", "warn")
		account := "<sip:" + sipTestNumber + "@" + rs.addrs["sip"] + ";transport=udp>;auth_pass=" + pass + ";regint=600\n"
		bp := runBaresipWith(t, freeSIPPort(t), account, 440, audio)
		waitFor(t, func() bool { return strings.Contains(bp.logText(), "200 OK () [") }, "baresip registering")
		callee := startCall(t, rs.addrs["signalling"], fmt.Sprintf("+1555010004%d", i), "--answer", "auto", "--max-calls", "1",
			"--mic", "tone:660", "--stats", filepath.Join(t.TempDir(), "stats.json"))
		callee.waitFor(t, call.EventRegistered)
		bp.do("dial", fmt.Sprintf("sip:+1555010004%d@%s", i, rs.addrs["sip"]))
		bp.waitEvent("CALL_ESTABLISHED")
		waitHeard(t, callee)
		pid := rs.cmd.Process.Pid
		t0, c0 := time.Now(), cpuTicks(t, pid)
		time.Sleep(d) // the measurement's window: nothing to wait for but time
		c1, t1 := cpuTicks(t, pid), time.Now()
		share[i] = (c1 - c0) / userHZ / t1.Sub(t0).Seconds() * 100
		bp.do("hangup", "")
		bp.waitEvent("CALL_CLOSED")
		callee.exit(t)
	}
	t.Logf("server CPU per bridged SIP call (of one core, %s each): Opus passthrough %.1f %%, G.711 transcoded %.1f %% (+%.1f)",
		d, share[0], share[1], share[1]-share[0])
}
