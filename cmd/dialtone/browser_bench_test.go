package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
)

var browserCalls = flag.Int("browser-calls", 0, "TestBrowserSetup: calls each way to time (make bench: 20); 0 skips it")

// TestBrowserSetup times call set-up between the page and a dialtone phone,
// from dial to the first decoded remote video frame at the dialling side,
// and prints p50 and p95 for each direction (make bench).
func TestBrowserSetup(t *testing.T) {
	if *browserCalls <= 0 {
		t.Skip("a benchmark: go test -run TestBrowserSetup ./cmd/dialtone -args -browser-calls=20")
	}
	srv := startWebServer(t, "--dial-limits=false") // 20 calls a way are over a pair's 10 a minute
	b := newBrowser(t)
	b.registered(srv.page, "+15550100071")

	// Browser → dialtone: the page's own clock, dial() to the first frame.
	callee := startCall(t, srv.url, "+15550100072", "--answer", "auto")
	callee.waitFor(t, call.EventRegistered)
	var out []float64
	for range *browserCalls {
		b.dial("+15550100072")
		b.wait("the first frame", `window.dialtone.current && window.dialtone.current.firstFrameMs > 0`)
		out = append(out, evalJS[float64](b, `window.dialtone.current.firstFrameMs`))
		b.key("h")
		b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
		b.key("\r")
		b.wait("the home screen", `document.body.dataset.screen === "home"`)
	}

	// Dialtone → browser: dialtone's stats, dial sent to its first decoded
	// frame; the ringing includes the test pressing a on the page.
	var in []float64
	data := t.TempDir() // one key for the caller's number throughout
	for i := range *browserCalls {
		stats := filepath.Join(t.TempDir(), fmt.Sprintf("stats%d.json", i))
		caller := startCall(t, srv.url, "+15550100073", "--dial", "+15550100071", "--duration", "500ms", "--stats", stats, "--data", data)
		b.wait("the incoming dialog", `document.getElementById("incoming").open`)
		b.key("a")
		b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
		if code := caller.exit(t); code != 0 {
			t.Fatalf("call %d exited %d: %s", i, code, caller.stderr.String())
		}
		in = append(in, readStats(t, stats).SetupMs)
		b.key("\r")
		b.wait("the home screen", `document.body.dataset.screen === "home"`)
	}
	// The page's CPU during a 10 s call, over every chromium process of
	// this browser (its profile directory names them).
	caller := startCall(t, srv.url, "+15550100073", "--dial", "+15550100071", "--duration", "10s", "--data", data)
	b.wait("the incoming dialog", `document.getElementById("incoming").open`)
	b.key("a")
	b.waitMedia()
	cpu0, wall0 := b.cpu(), time.Now()
	b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
	cpu, wall := b.cpu()-cpu0, time.Since(wall0)
	caller.exit(t)
	fmt.Printf("browser page in a call (640x480 fake camera, VP8 + Opus, relay): %.0f %% of one core over %v\n",
		100*cpu.Seconds()/wall.Seconds(), wall.Round(100*time.Millisecond))

	report := func(name string, ms []float64) {
		slices.Sort(ms)
		p := func(q float64) time.Duration {
			return time.Duration(ms[min(len(ms)-1, int(q*float64(len(ms))))] * float64(time.Millisecond)).Round(time.Millisecond)
		}
		fmt.Printf("%s: %d calls, dial → first decoded frame p50 %v p95 %v\n", name, len(ms), p(0.50), p(0.95))
	}
	report("browser → dialtone", out)
	report("dialtone → browser", in)
}

// cpu is the CPU time used so far by every process of this browser.
func (b *browser) cpu() time.Duration {
	b.t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var ticks int64
	for _, p := range procs {
		cmd, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(cmd), "--user-data-dir="+b.profile) {
			continue
		}
		st, err := os.ReadFile(filepath.Join(filepath.Dir(p), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name: utime and stime are the 12th and 13th.
		f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			ticks += u + s
		}
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}
