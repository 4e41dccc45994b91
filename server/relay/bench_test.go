package relay

import (
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRelayThroughput sends 1200-byte datagrams from a pion TURN
// client through its allocation on lease A to a plain socket on lease B
// (client → ChannelData → relay → peer), the media path of one direction
// of a call. It reports datagrams delivered per second, loss, and the
// process's CPU (client, relay and peer together) per Mbit/s delivered.
func BenchmarkRelayThroughput(b *testing.B) {
	h := newHarness(b, nil)
	h.calls.start("c1", numA, numB)
	rc, err := h.allocate(b, "c1", numA)
	if err != nil {
		b.Fatal(err)
	}
	p := peer(b, h.lease[numB])
	_ = p.SetReadBuffer(4 << 20)
	// sem bounds the datagrams in flight, so that the figure is what gets
	// through rather than what the sender can push into a full queue.
	const window = 256
	var got atomic.Int64
	sem := make(chan struct{}, window)
	first, all := make(chan struct{}), make(chan struct{})
	var want atomic.Int64
	want.Store(-1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			if _, _, err := p.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
			n := got.Add(1)
			if n == 1 {
				close(first)
			}
			if n == want.Load() {
				close(all)
			}
			select {
			case <-sem:
			default:
			}
		}
	}()
	to := net.UDPAddrFromAddrPort(h.lease[numB])
	// The first datagram creates the permission and the channel; the loop
	// measures the steady state after it.
	if _, err := rc.WriteTo([]byte("warm up"), to); err != nil {
		b.Fatal(err)
	}
	<-first
	want.Store(int64(b.N) + 1)
	payload := make([]byte, 1200)
	b.SetBytes(int64(len(payload)))
	lost := time.NewTimer(time.Hour)
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	for range b.N {
		select {
		case sem <- struct{}{}:
		default:
			// Window full: wait for a delivery, or count one as lost.
			lost.Reset(5 * time.Millisecond)
			select {
			case sem <- struct{}{}:
			case <-lost.C:
			}
		}
		if _, err := rc.WriteTo(payload, to); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-all:
	case <-time.After(200 * time.Millisecond): // the rest was lost
	}
	elapsed, cpu := time.Since(t0), cpuTime()-cpu0
	b.StopTimer()
	_ = p.Close()
	<-done
	n := got.Load() - 1 // the warm-up datagram
	mbit := float64(n) * 1200 * 8 / 1e6
	b.ReportMetric(float64(n)/elapsed.Seconds(), "pkts/s")
	b.ReportMetric(100*float64(int64(b.N)-n)/float64(b.N), "loss%")
	if mbit > 0 {
		b.ReportMetric(cpu.Seconds()*1e6/mbit, "cpu-µs/Mbit")
	}
}

// BenchmarkPeerCheck is the per-datagram cost of the IP-and-port check.
func BenchmarkPeerCheck(b *testing.B) {
	h := newHarness(b, nil)
	h.calls.start("c1", numA, numB)
	h.calls.start("c2", numA, numC)
	c, err := h.relay.allocate("c1:" + numA)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	peerB := h.lease[numB]
	stranger := netip.MustParseAddrPort("127.0.0.1:9")
	b.Run("peer", func(b *testing.B) {
		for range b.N {
			if !c.allowed(peerB) {
				b.Fatal("peer refused")
			}
		}
	})
	b.Run("stranger", func(b *testing.B) {
		for range b.N {
			if c.allowed(stranger) {
				b.Fatal("stranger allowed")
			}
		}
	})
}
