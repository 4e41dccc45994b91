package dnsserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchSize is how many datagrams a worker reads (recvmmsg) and writes
// (sendmmsg) in one system call at most. knotd reads 10 at a time; under
// load it found 6.4 per call. More costs only memory (1232 bytes each way).
const batchSize = 32

// oobSize holds the IPv4 or IPv6 packet-info control message that says
// which local address a datagram came to.
const oobSize = 64

// batchConn is the part of ipv4.PacketConn and ipv6.PacketConn a worker
// uses; their Message is the same type.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// serveUDP answers on pc with one worker per CPU, each reading and
// writing in batches and answering what it knows from its compiled answers
// (see serveFast); the rest goes to a miekg/dns server through a queue.
// With SO_REUSEPORT on pc (ListenUDP) each worker has its own socket on
// the same address; without, they take turns reading pc.
func (s *Server) serveUDP(ctx context.Context, pc *net.UDPConn) error {
	n := runtime.GOMAXPROCS(0)
	socks := []*net.UDPConn{pc}
	if reusesPort(pc) {
		for len(socks) < n {
			c, err := ListenUDP(ctx, pc.LocalAddr().String())
			if err != nil {
				s.log.Warn("opening another DNS socket; serving with fewer", "err", err)
				break
			}
			socks = append(socks, c)
		}
	}
	closeAll := func() {
		for _, c := range socks {
			c.Close()
		}
	}
	wildcard := false
	if la, ok := pc.LocalAddr().(*net.UDPAddr); ok {
		wildcard = la.IP.IsUnspecified()
	}
	slow := newQueueConn(pc)
	slow.onDrop = func() { s.stats.dropped.Add(1) }
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		if err == nil {
			return
		}
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		fail(s.run(ctx, s.dnsServer(&dns.Server{PacketConn: slow, UDPSize: ednsSize})))
	}()
	for i := range n {
		c := socks[i%len(socks)]
		w, err := s.newWorker(c, slow, wildcard)
		if err != nil {
			cancel()
			fail(fmt.Errorf("setting up a DNS worker: %w", err))
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail(w.run())
		}()
	}
	<-ctx.Done()
	closeAll()
	wg.Wait()
	return firstErr
}

// worker is one read loop: a socket, its batches and its compiled answers.
type worker struct {
	s       *Server
	conn    batchConn
	slow    *queueConn
	fast    *fastPath
	in, out []ipv4.Message
	outBufs [][]byte
	outOOB  [][]byte
	pktinfo bool // reply from the address each query came to
}

func (s *Server) newWorker(c *net.UDPConn, slow *queueConn, wildcard bool) (*worker, error) {
	w := &worker{s: s, slow: slow, fast: newFastPath(), pktinfo: wildcard,
		in: make([]ipv4.Message, batchSize), out: make([]ipv4.Message, batchSize),
		outBufs: make([][]byte, batchSize), outOOB: make([][]byte, batchSize)}
	la, _ := c.LocalAddr().(*net.UDPAddr)
	if la != nil && la.IP.To4() == nil {
		pc := ipv6.NewPacketConn(c)
		if wildcard {
			// A socket on every address must answer from the one asked, as
			// the miekg/dns server does; it does not need to otherwise.
			if err := pc.SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true); err != nil {
				return nil, fmt.Errorf("asking for packet info: %w", err)
			}
			// IPv4 clients of a dual-stack socket; an IPv6-only one refuses.
			_ = ipv4.NewPacketConn(c).SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true)
		}
		w.conn = pc
	} else {
		pc := ipv4.NewPacketConn(c)
		if wildcard {
			if err := pc.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true); err != nil {
				return nil, fmt.Errorf("asking for packet info: %w", err)
			}
		}
		w.conn = pc
	}
	for i := range batchSize {
		w.in[i].Buffers = [][]byte{make([]byte, ednsSize)}
		w.out[i].Buffers = make([][]byte, 1)
		w.outBufs[i] = make([]byte, 0, ednsSize)
		if wildcard {
			w.in[i].OOB = make([]byte, oobSize)
			w.outOOB[i] = make([]byte, 0, oobSize)
		}
	}
	return w, nil
}

// run reads batches until the socket is closed.
func (w *worker) run() error {
	for {
		n, err := w.conn.ReadBatch(w.in, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("reading DNS queries: %w", err)
		}
		w.answer(n)
	}
}

// answer answers the n datagrams just read and writes the replies.
func (w *worker) answer(n int) {
	s := w.s
	// Per-query Debug lines are miekg/dns's path's: take it while they are on.
	fast := !s.log.Enabled(context.Background(), slog.LevelDebug)
	k := 0
	for i := range n {
		m := &w.in[i]
		p := m.Buffers[0][:m.N]
		ua, _ := m.Addr.(*net.UDPAddr)
		var src netip.Addr
		if ua != nil {
			src, _ = netip.AddrFromSlice(ua.IP)
		}
		var oob []byte
		if w.pktinfo {
			oob = replyOOB(w.outOOB[k][:0], m.OOB[:m.NN])
		}
		if !fast || !src.IsValid() {
			w.slow.push(p, ua, oob)
			continue
		}
		reply, handled := s.serveFast(w.fast, p, src.Unmap(), w.outBufs[k][:0])
		if !handled {
			w.slow.push(p, ua, oob)
			continue
		}
		if reply == nil {
			continue // over the rate limit
		}
		o := &w.out[k]
		o.Buffers[0] = reply
		o.Addr = m.Addr
		o.OOB = oob
		k++
	}
	for sent := 0; sent < k; {
		n, err := w.conn.WriteBatch(w.out[sent:k], 0)
		if err != nil {
			// The first of the rest failed (a client gone, ICMP unreachable):
			// count it and go on with the ones after it.
			// (Its rcode was counted when it was answered.)
			s.stats.writeErrors.Add(1)
			n++
		}
		sent += max(n, 1)
	}
}
