package session_test

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/media"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/server/servertest"
)

var (
	setupPhases  = flag.Bool("setup-phases", false, "BenchmarkCallSetup: log each call's set-up phases and their percentiles")
	setupProfile = flag.String("setup-cpuprofile", "", "BenchmarkCallSetup: write a CPU profile of each set-up (dial to connected) into this directory")
)

// capturing wraps pionMedia to keep the last media session it made, so
// that the set-up benchmark can read its phases.
func capturing(last *atomic.Pointer[media.Session]) session.MediaFactory {
	return func(mc session.MediaConfig, sig session.Signal) (session.Media, error) {
		m, err := pionMedia(mc, sig)
		if err != nil {
			return nil, err
		}
		last.Store(m.(*media.Session))
		return m, nil
	}
}

// setupStep is one step of a call's set-up on its critical path to the
// caller's first decoded picture (the callee's video): from the step
// before, to the moment at(r) gives.
type setupStep struct {
	name string
	at   func(r *setupRun) time.Time
}

// setupRun is one call's timeline: the caller's (a) and callee's (b)
// media phases, and the caller's dial, accepted and connected.
type setupRun struct {
	dial, accepted, connected time.Time
	a, b                      media.Phases
}

// setupSteps is the path the callee's first picture takes to the caller.
// Each step's time is the later of what it waits for.
var setupSteps = []setupStep{
	{"accepted", func(r *setupRun) time.Time { return r.accepted }},
	{"media-new", func(r *setupRun) time.Time { return later(r.a.Created, r.b.Created) }},
	{"described", func(r *setupRun) time.Time { return later(r.a.Described, r.b.Described) }},
	{"relay-cand", func(r *setupRun) time.Time { return later(r.a.RelayCand, r.b.RelayCand) }},
	{"checking", func(r *setupRun) time.Time { return later(r.a.Checking, r.b.Checking) }},
	{"ice-up", func(r *setupRun) time.Time { return r.b.ICEUp }},
	{"dtls-up", func(r *setupRun) time.Time { return r.b.DTLSUp }},
	{"camera", func(r *setupRun) time.Time { return r.b.CameraFrame }},
	{"sent", func(r *setupRun) time.Time { return r.b.VideoSent }},
	{"recv", func(r *setupRun) time.Time { return r.a.VideoRecv }},
	{"decoded", func(r *setupRun) time.Time { return r.a.Decoded }},
	{"connected", func(r *setupRun) time.Time { return r.connected }},
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// steps is how long each step of r took, in milliseconds, from the step
// before (a step that happened earlier than the one before counts 0).
func (r *setupRun) steps() []float64 {
	out := make([]float64, len(setupSteps))
	prev := r.dial
	for i, st := range setupSteps {
		t := st.at(r)
		if t.IsZero() {
			out[i] = -1
			continue
		}
		if d := t.Sub(prev); d > 0 {
			out[i] = float64(d.Microseconds()) / 1000
			prev = t
		}
	}
	return out
}

func (r *setupRun) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "total %6.1f ms:", float64(r.connected.Sub(r.dial).Microseconds())/1000)
	for i, d := range r.steps() {
		fmt.Fprintf(&b, " %s %.1f", setupSteps[i].name, d)
	}
	// Both sides' ICE and DTLS, from dial, for the races between them.
	ms := func(t time.Time) float64 {
		if t.IsZero() {
			return -1
		}
		return float64(t.Sub(r.dial).Microseconds()) / 1000
	}
	fmt.Fprintf(&b, " | a ice %.1f dtls %.1f, b ice %.1f dtls %.1f", ms(r.a.ICEUp), ms(r.a.DTLSUp), ms(r.b.ICEUp), ms(r.b.DTLSUp))
	return b.String()
}

// startSetupProfile profiles set-up i at 1 kHz (a set-up is tens of
// milliseconds; pprof's 100 Hz would catch one or two samples).
func startSetupProfile(b *testing.B, i int) {
	if err := os.MkdirAll(*setupProfile, 0o755); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(filepath.Join(*setupProfile, fmt.Sprintf("setup-%d-%04d.prof", b.N, i)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	runtime.SetCPUProfileRate(1000)
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pct(sorted []float64, p int) float64 {
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

// logSetupPhases logs the slowest calls' timelines and each step's
// p50/p95/p99, and which step was the longest in the calls over 100 ms.
func logSetupPhases(b *testing.B, runs []*setupRun) {
	slices.SortFunc(runs, func(x, y *setupRun) int { return cmp.Compare(x.connected.Sub(x.dial), y.connected.Sub(y.dial)) })
	for _, r := range runs[max(0, len(runs)*90/100):] {
		b.Logf("%v", r)
	}
	worst := map[string]int{}
	slow := 0
	cols := make([][]float64, len(setupSteps))
	for _, r := range runs {
		st := r.steps()
		for i, d := range st {
			cols[i] = append(cols[i], d)
		}
		if r.connected.Sub(r.dial) > 100*time.Millisecond {
			slow++
			worst[setupSteps[slices.Index(st, slices.Max(st))].name]++
		}
	}
	for i, c := range cols {
		slices.Sort(c)
		b.Logf("%-10s p50 %6.1f  p95 %6.1f  p99 %6.1f  max %6.1f ms", setupSteps[i].name, pct(c, 50), pct(c, 95), pct(c, 99), c[len(c)-1])
	}
	b.Logf("%d calls over 100 ms; their longest step: %v", slow, worst)
}

// BenchmarkCallSetup measures dial → first decoded remote video frame
// through servertest and its relay, with real media, callee auto-answering.
// Calls rotate over several pairs of phones: one pair alone would pass the
// server's per-connection message rate (20/s) at a few calls a second.
// With -setup-phases it logs where each call's time went.
func BenchmarkCallSetup(b *testing.B) {
	srv := servertest.New(b, servertest.Options{Pool: "127.77.22.0/24"})
	const pairs = 8
	var callers, callees []*phone
	lastA := make([]atomic.Pointer[media.Session], pairs)
	lastB := make([]atomic.Pointer[media.Session], pairs)
	for i := range pairs {
		callers = append(callers, newPhone(b, fmt.Sprintf("+1555020%04d", i), opts{url: srv.Addrs.URL, factory: capturing(&lastA[i]), prep: withDevices(b, 440)}))
		callees = append(callees, newPhone(b, fmt.Sprintf("+1555030%04d", i), opts{url: srv.Addrs.URL, factory: capturing(&lastB[i]), prep: withDevices(b, 660), autoAnswer: true}))
	}
	var ms []float64
	var runs []*setupRun
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, bp := callers[i%pairs], callees[i%pairs]
		if *setupProfile != "" {
			startSetupProfile(b, i)
		}
		cpu0 := processCPU()
		start := time.Now()
		id, err := a.Dial(context.Background(), bp.number)
		if err != nil {
			b.Fatal(err)
		}
		conn := a.wait(b, call.EventConnected, id)
		ms = append(ms, float64(time.Since(start).Microseconds())/1000)
		cpu += processCPU() - cpu0
		if *setupProfile != "" {
			pprof.StopCPUProfile()
		}
		b.StopTimer()
		acc := a.wait(b, call.EventAccepted, id)
		if *setupPhases {
			runs = append(runs, &setupRun{dial: start, accepted: acc.Time, connected: conn.Time,
				a: lastA[i%pairs].Load().Phases(), b: lastB[i%pairs].Load().Phases()})
		}
		a.Hangup(id)
		a.wait(b, call.EventEnded, id)
		bp.wait(b, call.EventEnded, id)
		b.StartTimer()
	}
	slices.Sort(ms)
	b.ReportMetric(pct(ms, 50), "p50-ms")
	b.ReportMetric(pct(ms, 95), "p95-ms")
	b.ReportMetric(pct(ms, 99), "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/setup")
	if *setupPhases {
		logSetupPhases(b, runs)
	}
}
