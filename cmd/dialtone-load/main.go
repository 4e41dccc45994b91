//go:build linux

// Command dialtone-load drives a running dialtone server with many clients
// over real WebSockets and reports what it sustained: registrations per
// second, memory per idle registered client (from the server process's
// RSS), and call set-ups (dial → accepted → hang-up) per second with their
// latency. `make bench` runs it against a `dialtone server` on loopback.
//
// It only ever connects to the server it is given; spread the clients over
// loopback source addresses (127.1.x.y) so the server's per-address limit
// is not what gets measured.
//
// It shares the machine with the server it measures, so it is built to
// cost little: every client (idle or calling) is a socket on one epoll
// loop, not a goroutine, and it reads from the server's messages only what
// it checks. Each call is still the whole exchange, checked at every step.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	url := flag.String("server", "ws://127.0.0.1:7700/v1", "the server's signalling URL")
	idle := flag.Int("clients", 10000, "idle registered clients to hold")
	pairs := flag.Int("pairs", 200, "caller/callee pairs making calls")
	rate := flag.Float64("rate", 0, "hold the call set-ups to this many a second (0: each pair calls again at once)")
	dur := flag.Duration("duration", 10*time.Second, "how long the pairs make calls")
	pid := flag.Int("pid", 0, "the server's process ID, to read its memory")
	perIP := flag.Int("per-ip", 50, "connections per loopback source address")
	conc := flag.Int("concurrency", 256, "registrations in flight at once")
	asJSON := flag.Bool("json", false, "print the results as JSON")
	admin := flag.String("admin", "", "the server's admin URL (http://HOST:PORT); with --server-profile, where to take it from")
	profile := flag.String("server-profile", "", "write a CPU profile of the server over the call phase to this file (needs --admin)")
	selfProfile := flag.String("cpuprofile", "", "write a CPU profile of this tool over the whole run to this file")
	flag.Parse()
	raiseFileLimit()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *dur > 10*time.Minute || *idle > 200000 {
		fmt.Fprintln(os.Stderr, "dialtone-load: keep --duration ≤ 10m and --clients ≤ 200000")
		os.Exit(2)
	}
	if *profile != "" && *admin == "" {
		fmt.Fprintln(os.Stderr, "dialtone-load: --server-profile needs --admin")
		os.Exit(2)
	}
	prof := profiler{admin: strings.TrimSuffix(*admin, "/metrics"), file: *profile}
	stopSelf, err := startSelfProfile(*selfProfile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dialtone-load:", err)
		os.Exit(1)
	}
	r, err := run(ctx, *url, *idle, *pairs, *rate, *dur, *pid, *perIP, *conc, prof)
	stopSelf()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dialtone-load:", err)
		os.Exit(1)
	}
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(r)
		return
	}
	r.print()
}

type results struct {
	IdleClients         int     `json:"idle_clients"`
	RegistrationsPerSec float64 `json:"registrations_per_sec"`
	// ServerCPUPerRegUs and LoadCPUPerRegUs are the server's and this
	// process's CPU per registration of a new number (connect, hello,
	// proof, registered).
	ServerCPUPerRegUs float64 `json:"server_cpu_us_per_registration,omitempty"`
	LoadCPUPerRegUs   float64 `json:"load_cpu_us_per_registration"`
	RSSBeforeMB       float64 `json:"server_rss_before_mb,omitempty"`
	RSSAfterMB        float64 `json:"server_rss_after_mb,omitempty"`
	KBPerIdleClient   float64 `json:"server_kb_per_idle_client,omitempty"`
	Pairs             int     `json:"pairs"`
	Calls             int64   `json:"calls"`
	CallsPerSec       float64 `json:"call_setups_per_sec"`
	SetupP50Ms        float64 `json:"setup_ms_p50"`
	SetupP95Ms        float64 `json:"setup_ms_p95"`
	// ServerCPUPerSetupUs is the server's CPU time (user and system, from
	// /proc) over the call phase divided by the set-ups: on a shared
	// machine it says what the server can do better than the rate does.
	ServerCPUPerSetupUs float64 `json:"server_cpu_us_per_setup,omitempty"`
	SetupsPerCPUSecond  float64 `json:"setups_per_server_cpu_second,omitempty"`
	// LoadCPUPerSetupUs and LoadCores are this process's own CPU over the
	// call phase, per set-up and in cores: when LoadCores nears the
	// machine's, the load tool is what is being measured.
	LoadCPUPerSetupUs float64 `json:"load_cpu_us_per_setup"`
	LoadCores         float64 `json:"load_cores"`
	Failures          int64   `json:"failures"`
	// IdleLost counts registered clients whose connection ended or who
	// were told something unexpected while the tool held them.
	IdleLost int64 `json:"idle_clients_lost"`
}

func (r results) print() {
	fmt.Printf("idle registered clients      %d\n", r.IdleClients)
	fmt.Printf("registrations/s              %.0f\n", r.RegistrationsPerSec)
	fmt.Printf("CPU per registration         server %.0f µs, load tool %.0f µs\n", r.ServerCPUPerRegUs, r.LoadCPUPerRegUs)
	if r.RSSAfterMB > 0 {
		fmt.Printf("server RSS before/after      %.1f MB / %.1f MB\n", r.RSSBeforeMB, r.RSSAfterMB)
		fmt.Printf("server memory per idle client %.1f KB\n", r.KBPerIdleClient)
	}
	fmt.Printf("calling pairs                %d\n", r.Pairs)
	fmt.Printf("call set-ups (dial→accepted→hangup) %d, %.0f/s\n", r.Calls, r.CallsPerSec)
	fmt.Printf("dial→accepted p50 / p95      %.2f ms / %.2f ms\n", r.SetupP50Ms, r.SetupP95Ms)
	if r.ServerCPUPerSetupUs > 0 {
		fmt.Printf("server CPU per set-up        %.0f µs (%.0f set-ups per server CPU-second)\n", r.ServerCPUPerSetupUs, r.SetupsPerCPUSecond)
	}
	fmt.Printf("load tool CPU per set-up     %.0f µs (%.2f cores)\n", r.LoadCPUPerSetupUs, r.LoadCores)
	fmt.Printf("failures                     %d\n", r.Failures)
	fmt.Printf("idle clients lost            %d\n", r.IdleLost)
}

func run(ctx context.Context, url string, idle, pairs int, rate float64, dur time.Duration, pid, perIP, conc int, prof profiler) (results, error) {
	var r results
	l, err := newLoop(url, &sources{perIP: perIP})
	if err != nil {
		return r, err
	}
	defer l.close()
	before := rssMB(pid)

	// Phase 1: idle registered clients.
	regCPU0, regSelf0 := cpuSeconds(pid), selfCPUSeconds()
	start := time.Now()
	clients, err := l.register(ctx, 0, idle, conc)
	if err != nil {
		return r, fmt.Errorf("registering idle clients: %w", err)
	}
	elapsed := time.Since(start)
	r.IdleClients = len(clients)
	r.RegistrationsPerSec = float64(len(clients)) / elapsed.Seconds()
	if len(clients) > 0 {
		r.ServerCPUPerRegUs = (cpuSeconds(pid) - regCPU0) * 1e6 / float64(len(clients))
		r.LoadCPUPerRegUs = (selfCPUSeconds() - regSelf0) * 1e6 / float64(len(clients))
	}
	if pid > 0 {
		// Give the server's garbage collector a moment to return the
		// registration burst's garbage before its memory is read; the
		// clients keep alive meanwhile.
		if err := l.runFor(ctx, settle); err != nil {
			return r, err
		}
		after := rssMB(pid)
		r.RSSBeforeMB, r.RSSAfterMB = before, after
		if len(clients) > 0 {
			r.KBPerIdleClient = (after - before) * 1024 / float64(len(clients))
		}
	}

	// Phase 2: call set-ups between pairs while the idle clients stay.
	callers, err := l.register(ctx, idle, idle+2*pairs, conc)
	if err != nil {
		return r, fmt.Errorf("registering calling clients: %w", err)
	}
	r.Pairs = pairs
	ps := make([]*pair, pairs)
	for i := range ps {
		ps[i] = newPair(callers[2*i], callers[2*i+1])
	}
	profDone := prof.start(ctx, dur)
	cpu0, self0 := cpuSeconds(pid), selfCPUSeconds()
	callStart := time.Now()
	l.now = callStart
	if rate > 0 {
		l.pace = &pacer{rate: rate, start: callStart}
	}
	for _, p := range ps {
		p.until = callStart.Add(dur)
		p.start(l)
	}
	if err := l.runFor(ctx, dur); err != nil {
		return r, err
	}
	callTime := time.Since(callStart)
	for _, p := range ps {
		p.stalled(l)
	}
	self := selfCPUSeconds() - self0
	r.Calls = l.calls
	r.CallsPerSec = float64(r.Calls) / callTime.Seconds()
	r.LoadCores = self / callTime.Seconds()
	if r.Calls > 0 {
		r.LoadCPUPerSetupUs = self * 1e6 / float64(r.Calls)
	}
	if cpu := cpuSeconds(pid) - cpu0; pid > 0 && cpu > 0 && r.Calls > 0 {
		r.ServerCPUPerSetupUs = cpu * 1e6 / float64(r.Calls)
		r.SetupsPerCPUSecond = float64(r.Calls) / cpu
	}
	if err := <-profDone; err != nil {
		fmt.Fprintln(os.Stderr, "dialtone-load: server profile:", err)
	}
	r.Failures = l.failures
	r.IdleLost = l.idleLost
	for _, s := range l.reasons {
		fmt.Fprintln(os.Stderr, "dialtone-load:", s)
	}
	var all []time.Duration
	for _, p := range ps {
		all = append(all, p.lat...)
	}
	r.SetupP50Ms, r.SetupP95Ms = percentile(all, 0.50), percentile(all, 0.95)
	return r, nil
}

func percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return float64(ds[int(p*float64(len(ds)-1))]) / float64(time.Millisecond)
}

// rssMB reads a process's resident set size.
func rssMB(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// cpuSeconds reads a process's user and system CPU time from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func cpuSeconds(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it do not.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100
}

// settle is how long the server's garbage collector gets to return the
// registration burst's garbage before its memory is read. This is a
// measurement pause in a load tool, not a test waiting for an event.
const settle = 3 * time.Second

func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
