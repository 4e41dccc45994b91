// Command dialtone-dnszone serves the number DNS (server/dnsserver, the
// code `dialtone server` runs) over a synthetic lease table, so that it can
// be load-tested on its own, beside knotd serving the same zone: `make
// bench` runs it from .ci/bench-dns.
//
// The table has --live numbers holding a lease (A records) and --idle
// numbers registered without one (NODATA), from +15550000000 and
// +15551000000 up; every other number is unknown (NXDOMAIN). It prints
// "dns ADDR" once it is serving and runs until interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/dialtone/dialtone/server/dnsserver"
)

// First numbers of the live and the idle runs.
const (
	liveBase = 15550000000
	idleBase = 15551000000
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "UDP and TCP address to serve on")
	live := flag.Int("live", 10000, "numbers holding a lease")
	idle := flag.Int("idle", 10000, "numbers registered without a lease")
	rate := flag.Float64("rate", 1e9, "UDP responses per second per source /24 (the limit is on, as in the server, but high enough not to bite); negative: off")
	workers := flag.Int("udp-workers", 0, "UDP read loops (0: the server's default, one per two CPUs)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *live > 1000000 || *idle > 1000000 {
		fmt.Fprintln(os.Stderr, "dialtone-dnszone: at most 1000000 live and idle numbers")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *cpuprofile != "" {
		stopProfile, err := startProfile(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dialtone-dnszone:", err)
			os.Exit(1)
		}
		defer stopProfile()
	}
	if err := run(ctx, *listen, newTable(*live, *idle), *rate, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "dialtone-dnszone:", err)
		stop()
		os.Exit(1)
	}
}

func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating the profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting the profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func run(ctx context.Context, listen string, t *table, rate float64, workers int) error {
	s, err := dnsserver.New(dnsserver.Config{Resolver: t, Rate: rate, UDPWorkers: workers,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	pc, err := dnsserver.ListenUDP(ctx, listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", listen, err)
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		return fmt.Errorf("listening on %s: %w", listen, err)
	}
	fmt.Println("dns", pc.LocalAddr())
	return s.Serve(ctx, pc, ln)
}

// table is a lease table that does not change, looked up under a lock as
// the switchboard's is.
type table struct {
	mu      sync.RWMutex
	entries map[string]entry
}

type entry struct {
	addrs   []netip.Addr // nil: registered without a lease
	expires time.Time
}

func newTable(live, idle int) *table {
	t := &table{entries: make(map[string]entry, live+idle)}
	expires := time.Now().Add(24 * time.Hour)
	for i := range live {
		a := netip.AddrFrom4([4]byte{127, 77, byte(i >> 8), byte(i)})
		t.entries["+"+strconv.Itoa(liveBase+i)] = entry{addrs: []netip.Addr{a}, expires: expires}
	}
	for i := range idle {
		t.entries["+"+strconv.Itoa(idleBase+i)] = entry{}
	}
	return t
}

func (t *table) Resolve(number string) dnsserver.Entry {
	t.mu.RLock()
	e, ok := t.entries[number]
	t.mu.RUnlock()
	if !ok {
		return dnsserver.Entry{}
	}
	if e.addrs == nil {
		return dnsserver.Entry{Registered: true}
	}
	return dnsserver.Entry{Registered: true, Addrs: e.addrs, TTL: time.Until(e.expires)}
}
