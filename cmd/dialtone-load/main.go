// Command dialtone-load drives a running dialtone server with many clients
// over real WebSockets and reports what it sustained: registrations per
// second, memory per idle registered client (from the server process's
// RSS), and call set-ups (dial → accepted → hang-up) per second with their
// latency. `make bench` runs it against a `dialtone server` on loopback.
//
// It only ever connects to the server it is given; spread the clients over
// loopback source addresses (127.1.x.y) so the server's per-address limit
// is not what gets measured.
package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/dialtone/dialtone/call/wire"
)

func main() {
	url := flag.String("server", "ws://127.0.0.1:7700/v1", "the server's signalling URL")
	idle := flag.Int("clients", 10000, "idle registered clients to hold")
	pairs := flag.Int("pairs", 200, "caller/callee pairs making calls")
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
	r, err := run(ctx, *url, *idle, *pairs, *dur, *pid, *perIP, *conc, prof)
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
}

func run(ctx context.Context, url string, idle, pairs int, dur time.Duration, pid, perIP, conc int, prof profiler) (results, error) {
	var r results
	src := &sources{perIP: perIP}
	before := rssMB(pid)

	// Phase 1: idle registered clients.
	regCPU0, regSelf0 := cpuSeconds(pid), selfCPUSeconds()
	start := time.Now()
	clients, err := registerMany(ctx, url, src, 0, idle, conc)
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
		waitSettled()
		after := rssMB(pid)
		r.RSSBeforeMB, r.RSSAfterMB = before, after
		if len(clients) > 0 {
			r.KBPerIdleClient = (after - before) * 1024 / float64(len(clients))
		}
	}

	// Phase 2: call set-ups between pairs while the idle clients stay.
	callers, err := registerMany(ctx, url, src, idle, idle+2*pairs, conc)
	if err != nil {
		return r, fmt.Errorf("registering calling clients: %w", err)
	}
	r.Pairs = pairs
	var calls, failures atomic.Int64
	lat := make([][]time.Duration, pairs)
	cctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	var wg sync.WaitGroup
	profDone := prof.start(cctx, dur)
	cpu0, self0 := cpuSeconds(pid), selfCPUSeconds()
	callStart := time.Now()
	for i := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, b := callers[2*i], callers[2*i+1]
			for cctx.Err() == nil {
				d, err := oneCall(cctx, a, b)
				if err != nil {
					if cctx.Err() == nil {
						failures.Add(1)
					}
					return
				}
				lat[i] = append(lat[i], d)
				calls.Add(1)
			}
		}()
	}
	wg.Wait()
	callTime := time.Since(callStart)
	self := selfCPUSeconds() - self0
	r.Calls = calls.Load()
	r.CallsPerSec = float64(r.Calls) / callTime.Seconds()
	r.LoadCores = self / callTime.Seconds()
	if r.Calls > 0 {
		r.LoadCPUPerSetupUs = self * 1e6 / float64(r.Calls)
	}
	if err := <-profDone; err != nil {
		fmt.Fprintln(os.Stderr, "dialtone-load: server profile:", err)
	}
	if cpu := cpuSeconds(pid) - cpu0; pid > 0 && cpu > 0 && r.Calls > 0 {
		r.ServerCPUPerSetupUs = cpu * 1e6 / float64(r.Calls)
		r.SetupsPerCPUSecond = float64(r.Calls) / cpu
	}
	r.Failures = failures.Load()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	r.SetupP50Ms, r.SetupP95Ms = percentile(all, 0.50), percentile(all, 0.95)
	for _, c := range append(clients, callers...) {
		c.close()
	}
	return r, nil
}

// oneCall runs dial → incoming → accept → accepted → hangup → ended and
// returns the time from dial to the caller's accepted.
func oneCall(ctx context.Context, a, b *client) (time.Duration, error) {
	t0 := time.Now()
	seq, err := a.send(ctx, &wire.Message{Type: wire.TypeDial, To: b.number})
	if err != nil {
		return 0, err
	}
	ring, err := a.wait(ctx, func(m *wire.Message) bool { return m.Re == seq })
	if err != nil {
		return 0, err
	}
	if ring.Type != wire.TypeRinging {
		return 0, fmt.Errorf("dial answered %s %s", ring.Type, ring.Code)
	}
	if _, err := b.wait(ctx, func(m *wire.Message) bool { return m.Type == wire.TypeIncoming && m.Call == ring.Call }); err != nil {
		return 0, err
	}
	if _, err := b.send(ctx, &wire.Message{Type: wire.TypeAccept, Call: ring.Call}); err != nil {
		return 0, err
	}
	if _, err := a.wait(ctx, func(m *wire.Message) bool { return m.Type == wire.TypeAccepted && m.Call == ring.Call }); err != nil {
		return 0, err
	}
	d := time.Since(t0)
	if _, err := b.wait(ctx, func(m *wire.Message) bool { return m.Type == wire.TypeAccepted && m.Call == ring.Call }); err != nil {
		return 0, err
	}
	hs, err := a.send(ctx, &wire.Message{Type: wire.TypeHangup, Call: ring.Call})
	if err != nil {
		return 0, err
	}
	if _, err := a.wait(ctx, func(m *wire.Message) bool { return m.Re == hs }); err != nil {
		return 0, err
	}
	if _, err := b.wait(ctx, func(m *wire.Message) bool { return m.Type == wire.TypeEnded && m.Call == ring.Call }); err != nil {
		return 0, err
	}
	return d, nil
}

func percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return float64(ds[int(p*float64(len(ds)-1))]) / float64(time.Millisecond)
}

func registerMany(ctx context.Context, url string, src *sources, from, to, conc int) ([]*client, error) {
	out := make([]*client, to-from)
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	for i := from; i < to; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := register(ctx, url, src.next(), fmt.Sprintf("+1555%07d", i))
			if err != nil {
				once.Do(func() { firstErr = err })
				return
			}
			out[i-from] = c
		}()
	}
	wg.Wait()
	if firstErr != nil {
		for _, c := range out {
			if c != nil {
				c.close()
			}
		}
		return nil, firstErr
	}
	return out, nil
}

// sources hands out loopback source addresses, perIP connections each.
type sources struct {
	mu    sync.Mutex
	n     int
	perIP int
}

func (s *sources) next() net.IP {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.n / s.perIP
	s.n++
	return net.IPv4(127, 1, byte(i>>8), byte(i&0xff)+1)
}

// client is a minimal protocol client: one reader goroutine, a mailbox.
type client struct {
	number string
	ws     *websocket.Conn
	seq    atomic.Uint64
	mu     sync.Mutex
	inbox  []*wire.Message
	wake   chan struct{}
	err    error
}

func register(ctx context.Context, url string, srcIP net.IP, number string) (*client, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: srcIP}, Timeout: 10 * time.Second}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{HTTPClient: hc, Subprotocols: []string{wire.Subprotocol}})
	if err != nil {
		return nil, err
	}
	c := &client{number: number, ws: ws, wake: make(chan struct{}, 1)}
	go c.read()
	_, key, _ := ed25519.GenerateKey(nil)
	seq, err := c.send(dctx, &wire.Message{Type: wire.TypeHello, Number: number, Key: key.Public().(ed25519.PublicKey)})
	if err != nil {
		return nil, err
	}
	ch, err := c.wait(dctx, func(m *wire.Message) bool { return m.Re == seq || m.Type == wire.TypeError })
	if err != nil || ch.Type != wire.TypeChallenge {
		c.close()
		return nil, fmt.Errorf("hello for %s: %v %v", number, describe(ch), err)
	}
	seq, err = c.send(dctx, &wire.Message{Type: wire.TypeProof, Sig: ed25519.Sign(key, wire.ProofMessage(number, ch.Nonce))})
	if err != nil {
		return nil, err
	}
	reg, err := c.wait(dctx, func(m *wire.Message) bool { return m.Re == seq || m.Type == wire.TypeError })
	if err != nil || reg.Type != wire.TypeRegistered {
		c.close()
		return nil, fmt.Errorf("registering %s: %v %v", number, describe(reg), err)
	}
	go c.keepalive(ctx, reg.KeepaliveS)
	return c, nil
}

func describe(m *wire.Message) string {
	if m == nil {
		return "nothing"
	}
	return string(m.Type) + " " + string(m.Code) + " " + m.Message
}

func (c *client) keepalive(ctx context.Context, every int) {
	if every <= 0 {
		every = 10
	}
	t := time.NewTicker(time.Duration(every) * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := c.send(ctx, &wire.Message{Type: wire.TypePing}); err != nil {
				return
			}
		}
	}
}

func (c *client) read() {
	for {
		_, data, err := c.ws.Read(context.Background())
		c.mu.Lock()
		if err != nil {
			c.err = err
			c.mu.Unlock()
			c.signal()
			return
		}
		if m, err := wire.Decode(data); err == nil && m.Type != wire.TypePong {
			c.inbox = append(c.inbox, m)
		}
		c.mu.Unlock()
		c.signal()
	}
}

func (c *client) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *client) send(ctx context.Context, m *wire.Message) (uint64, error) {
	m.Seq = c.seq.Add(1)
	b, err := wire.Encode(m)
	if err != nil {
		return 0, err
	}
	return m.Seq, c.ws.Write(ctx, websocket.MessageText, b)
}

func (c *client) wait(ctx context.Context, match func(*wire.Message) bool) (*wire.Message, error) {
	for {
		c.mu.Lock()
		for i, m := range c.inbox {
			if match(m) {
				c.inbox = append(c.inbox[:i:i], c.inbox[i+1:]...)
				c.mu.Unlock()
				return m, nil
			}
		}
		err := c.err
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-c.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (c *client) close() { c.ws.CloseNow() }

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

// waitSettled gives the server's garbage collector a moment to return the
// registration burst's garbage before its memory is read. This is a
// measurement pause in a load tool, not a test waiting for an event.
func waitSettled() { time.Sleep(3 * time.Second) }

func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
