package relay

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

// The relay-versus-coturn benchmark runs each TURN server as its own
// process, drives both with the same load from this process, and reads each
// server's CPU time from /proc. Our relay's process is this test binary
// re-executed as a helper (TestRelayHelper); cmd/ may later offer a
// standalone `dialtone relay` for the same purpose.

const (
	benchSecret = "bench secret"
	helperEnv   = "DIALTONE_RELAY_HELPER" // "<leaseA>,<leaseB>"
	// profileEnv names a file for the helper's CPU profile, e.g.
	// DIALTONE_RELAY_CPUPROFILE=/tmp/relay.pprof go test -run '^$' -bench 'RelayVsCoturn/pion'
	profileEnv = "DIALTONE_RELAY_CPUPROFILE"
)

// benchCalls is the helper's Calls: A and B in any call, for ever.
type benchCalls struct{ a, b netip.AddrPort }

func (c benchCalls) Lease(n string) (netip.AddrPort, bool) {
	switch n {
	case numA:
		return c.a, true
	case numB:
		return c.b, true
	}
	return netip.AddrPort{}, false
}

func (c benchCalls) Peers(n string) []netip.AddrPort {
	switch n {
	case numA:
		return []netip.AddrPort{c.b}
	case numB:
		return []netip.AddrPort{c.a}
	}
	return nil
}

func (c benchCalls) Live(_, n string) bool { return n == numA || n == numB }

// TestRelayHelper is not a test: it is the relay process of
// BenchmarkRelayVsCoturn. It prints its TURN address and serves until its
// stdin closes, writing a CPU profile to $DIALTONE_RELAY_CPUPROFILE if set.
func TestRelayHelper(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("helper process for BenchmarkRelayVsCoturn")
	}
	a, b, _ := strings.Cut(spec, ",")
	r, err := New(Config{
		Calls:          benchCalls{netip.MustParseAddrPort(a), netip.MustParseAddrPort(b)},
		Secret:         []byte(benchSecret),
		MaxAllocations: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		cancel()
	}()
	if path := os.Getenv(profileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	fmt.Printf("ready %s\n", pc.LocalAddr())
	if err := r.Serve(ctx, pc); err != nil {
		t.Fatal(err)
	}
}

// server is a TURN server process under load.
type server struct {
	name string
	addr string
	cmd  *exec.Cmd
	stop func()
}

// cpu returns the process's user+system CPU time, to the nanosecond (the
// clock ticks of /proc/PID/stat are 10 ms, too coarse for a round).
func (s *server) cpu(tb testing.TB) time.Duration {
	tb.Helper()
	d, err := processCPU(s.cmd.Process.Pid)
	if err != nil {
		tb.Fatalf("%s's CPU time: %v", s.name, err)
	}
	return d
}

func startDialtone(tb testing.TB, leaseA, leaseB netip.AddrPort) *server {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRelayHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+leaseA.String()+","+leaseB.String())
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		_ = cmd.Process.Kill()
		tb.Fatalf("relay helper: %q, %v", line, err)
	}
	return &server{name: "dialtone", addr: strings.TrimSpace(strings.TrimPrefix(line, "ready ")), cmd: cmd,
		stop: func() { _ = stdin.Close(); _ = cmd.Wait() }}
}

// startCoturn runs turnserver with the same REST secret, relaying on lease
// A's IP, allowing loopback peers, with its default thread count (one
// relay thread per core, as our process has GOMAXPROCS = cores).
func startCoturn(tb testing.TB, leaseA netip.AddrPort) *server {
	tb.Helper()
	port := freeLease(tb, "127.0.0.1").Port()
	dir := tb.TempDir()
	cmd := exec.Command("turnserver", "-n",
		"--listening-ip=127.0.0.1", "--listening-port="+strconv.Itoa(int(port)),
		"--relay-ip="+leaseA.Addr().String(), "--min-port=49152", "--max-port=65535",
		"--use-auth-secret", "--static-auth-secret="+benchSecret, "--realm=dialtone",
		"--no-tls", "--no-dtls", "--no-tcp-relay", "--allow-loopback-peers", "--no-cli",
		"--pidfile="+dir+"/pid", "--log-file=stdout", "--simple-log")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	// Wait for coturn to say it listens on our port.
	sc := bufio.NewScanner(stdout)
	ready := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "Total General servers") || strings.Contains(sc.Text(), "relay 127") {
			ready = true
			break
		}
	}
	if !ready {
		_ = cmd.Process.Kill()
		tb.Fatal("turnserver did not start")
	}
	go func() {
		for sc.Scan() { // keep draining its log
		}
	}()
	return &server{name: "coturn", addr: "127.0.0.1:" + strconv.Itoa(int(port)), cmd: cmd,
		stop: func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }}
}

// load sends 1200-byte datagrams for d from k TURN clients (number A)
// through srv to the peer socket on lease B, keeping at most window in
// flight per client, and returns how many it sent, how many arrived, and the
// time from the first send to the last arrival.
func load(tb testing.TB, srvAddr string, p *net.UDPConn, to netip.AddrPort, k int, d time.Duration) (int64, int64, time.Duration) {
	tb.Helper()
	user := formatUsername(time.Now().Add(time.Hour), "c1", numA)
	pass := password([]byte(benchSecret), user)
	var conns []net.PacketConn
	for range k {
		conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		c, err := turn.NewClient(&turn.ClientConfig{
			STUNServerAddr: srvAddr, TURNServerAddr: srvAddr, Conn: conn,
			Username: user, Password: pass, Realm: "dialtone",
		})
		if err != nil {
			tb.Fatal(err)
		}
		if err := c.Listen(); err != nil {
			tb.Fatal(err)
		}
		rc, err := c.Allocate()
		if err != nil {
			tb.Fatalf("allocating on %s: %v", srvAddr, err)
		}
		defer func() { _ = rc.Close(); c.Close(); _ = conn.Close() }()
		conns = append(conns, rc)
	}
	var got, last atomic.Int64
	stop := make(chan struct{})
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		buf := make([]byte, 2048)
		for {
			_ = p.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			if _, _, err := p.ReadFromUDPAddrPort(buf); err != nil {
				select {
				case <-stop:
					return
				default:
					continue
				}
			}
			got.Add(1)
			last.Store(time.Now().UnixNano())
		}
	}()
	dst := net.UDPAddrFromAddrPort(to)
	for _, rc := range conns { // permissions and channels first
		if _, err := rc.WriteTo([]byte("warm up"), dst); err != nil {
			tb.Fatal(err)
		}
	}
	for got.Load() < int64(k) {
		time.Sleep(time.Millisecond) // flow control of a load generator, not a test's wait
	}
	got.Store(0)
	payload := make([]byte, 1200)
	const window = 128
	t0 := time.Now()
	end := t0.Add(d)
	var wg sync.WaitGroup
	var sent atomic.Int64
	for _, rc := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				for sent.Load()-got.Load() > window*int64(k) {
					time.Sleep(20 * time.Microsecond)
				}
				_, _ = rc.WriteTo(payload, dst)
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	for end := time.Now().Add(300 * time.Millisecond); got.Load() < sent.Load() && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	<-recvDone
	return sent.Load(), got.Load(), time.Unix(0, last.Load()).Sub(t0)
}

// BenchmarkRelayVsCoturn: the same load through our relay and through
// coturn's turnserver, each its own process, in three alternating rounds
// per load generator (pion TURN clients in this process; coturn's
// turnutils_uclient when installed). Each run reports delivered pkts/s,
// loss and the server's CPU per Mbit/s relayed; the medians and the ratios
// are printed at the end.
func BenchmarkRelayVsCoturn(b *testing.B) {
	if _, err := exec.LookPath("turnserver"); err != nil {
		b.Skip("turnserver not installed (Debian package coturn)")
	}
	leaseA, leaseB := freeLease(b, "127.77.0.1"), freeLease(b, "127.77.0.2")
	p := peer(b, leaseB)
	_ = p.SetReadBuffer(8 << 20)
	servers := []*server{startDialtone(b, leaseA, leaseB), startCoturn(b, leaseA)}
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	res := map[string][]benchResult{}
	report := func(b *testing.B, key string, sent, got int64, elapsed, cpu time.Duration) {
		mbit := float64(got) * 1200 * 8 / 1e6
		r := benchResult{
			pps: float64(got) / elapsed.Seconds(), cpuPerMbit: cpu.Seconds() * 1e6 / mbit,
			loss: 100 * float64(sent-got) / float64(sent),
		}
		res[key] = append(res[key], r)
		b.ReportMetric(r.pps, "pkts/s")
		b.ReportMetric(r.loss, "loss%")
		b.ReportMetric(r.cpuPerMbit, "server-cpu-µs/Mbit")
	}
	// A round lasts longer than the default -benchtime, so that each
	// sub-benchmark runs its body once.
	const rounds, roundTime = 3, 2500 * time.Millisecond
	// Both orders, so that neither server always runs on the other's heels.
	order := func(round int) []*server {
		if round%2 == 0 {
			return servers
		}
		return []*server{servers[1], servers[0]}
	}
	for round := range rounds {
		for _, s := range order(round) {
			b.Run("pion-client/"+s.name, func(b *testing.B) {
				const clients = 4
				cpu0 := s.cpu(b)
				sent, got, elapsed := load(b, s.addr, p, leaseB, clients, roundTime)
				report(b, "pion-client/"+s.name, sent, got, elapsed, s.cpu(b)-cpu0)
			})
		}
	}
	loads := []string{"pion-client"}
	if _, err := exec.LookPath("turnutils_uclient"); err == nil {
		loads = append(loads, "uclient")
		_ = p.SetReadDeadline(time.Time{})
		go echo(p)
		for round := range rounds {
			for _, s := range order(round) {
				b.Run("uclient/"+s.name, func(b *testing.B) {
					cpu0 := s.cpu(b)
					sent, got, elapsed := uclientLoad(b, s.addr, leaseB)
					report(b, "uclient/"+s.name, sent, got, elapsed, s.cpu(b)-cpu0)
				})
			}
		}
	}
	for _, load := range loads {
		d, c := median(res[load+"/dialtone"]), median(res[load+"/coturn"])
		if c.pps == 0 || d.pps == 0 {
			continue
		}
		fmt.Printf("relay vs coturn, %s load, medians of %d alternating runs: "+
			"dialtone %.0f pkts/s, %.0f µs CPU per Mbit, loss %.2f %%; coturn %.0f pkts/s, %.0f µs per Mbit, loss %.2f %%; "+
			"dialtone/coturn pkts/s %.2f×, CPU per Mbit %.2f×\n",
			load, rounds, d.pps, d.cpuPerMbit, d.loss, c.pps, c.cpuPerMbit, c.loss, d.pps/c.pps, d.cpuPerMbit/c.cpuPerMbit)
	}
}

type benchResult struct{ pps, cpuPerMbit, loss float64 }

// median takes each figure's median over rs on its own.
func median(rs []benchResult) benchResult {
	if len(rs) == 0 {
		return benchResult{}
	}
	pick := func(f func(benchResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return benchResult{
		pps:        pick(func(r benchResult) float64 { return r.pps }),
		cpuPerMbit: pick(func(r benchResult) float64 { return r.cpuPerMbit }),
		loss:       pick(func(r benchResult) float64 { return r.loss }),
	}
}

// uclientLoad drives srv with coturn's turnutils_uclient: 10 sessions of
// 500 1200-byte messages to the echo on lease B and back, paced by uclient
// itself, so both servers see the same offered load. It returns messages
// sent and received (each crosses the relay twice) and the run's duration.
func uclientLoad(tb testing.TB, srvAddr string, peer netip.AddrPort) (sent, got int64, elapsed time.Duration) {
	tb.Helper()
	host, port, _ := net.SplitHostPort(srvAddr)
	t0 := time.Now()
	out, err := exec.Command("turnutils_uclient", "-c", "-m", "10", "-n", "500", "-l", "1200", "-z", "0",
		"-e", peer.Addr().String(), "-r", strconv.Itoa(int(peer.Port())), "-p", port,
		"-u", "c1:"+numA, "-W", benchSecret, host).CombinedOutput()
	elapsed = time.Since(t0)
	if err != nil {
		tb.Fatalf("turnutils_uclient: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if i := strings.Index(line, "tot_send_msgs="); i >= 0 && !strings.Contains(line, "msz=") {
			_, _ = fmt.Sscanf(line[i:], "tot_send_msgs=%d, tot_recv_msgs=%d", &sent, &got)
		}
	}
	if sent == 0 {
		tb.Fatalf("no totals in uclient's output:\n%s", out)
	}
	// Each message crosses the relay out and back.
	return 2 * sent, 2 * got, elapsed
}
