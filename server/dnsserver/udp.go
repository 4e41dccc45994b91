package dnsserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"
)

// batchSize is how many datagrams a worker reads (recvmmsg) and writes
// (sendmmsg) in one system call at most. knotd reads 10 at a time; under
// load it found 6.4 per call. More costs only memory (1232 bytes each way).
const batchSize = 32

// oobSize holds the IPv4 or IPv6 packet-info control message that says
// which local address a datagram came to.
const oobSize = 64

// serveUDP answers on pc with its workers (Config.UDPWorkers), each reading and
// writing in batches and answering what it knows from its compiled answers
// (see serveFast); the rest goes to a miekg/dns server through a queue.
// With SO_REUSEPORT on pc (ListenUDP) each worker has its own socket on
// the same address; without, they take turns reading pc.
func (s *Server) serveUDP(ctx context.Context, pc *net.UDPConn) error {
	n := s.udpWorkers
	if n == 0 {
		n = max(runtime.GOMAXPROCS(0)/2, 1)
	}
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
		stop     atomic.Bool // a worker under load may never find its socket empty
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
		w, err := s.newWorker(c, slow, wildcard, &stop)
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
	stop.Store(true)
	closeAll()
	wg.Wait()
	return firstErr
}

// worker is one read loop: a socket, its batches and its compiled answers.
type worker struct {
	s    *Server
	b    *udpBatch
	slow *queueConn
	fast *fastPath
	stop *atomic.Bool
	sink uintptr // what warm read, kept so that the reads are made
}

func (s *Server) newWorker(c *net.UDPConn, slow *queueConn, wildcard bool, stop *atomic.Bool) (*worker, error) {
	b, err := newUDPBatch(c, wildcard)
	if err != nil {
		return nil, err
	}
	b.sendErrors = func() { s.stats.writeErrors.Add(1) }
	return &worker{s: s, b: b, slow: slow, fast: newFastPath(), stop: stop}, nil
}

// run reads batches until the socket is closed.
func (w *worker) run() error {
	err := w.b.serve(w.stop, w.answer)
	if err == nil || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("reading DNS queries: %w", err)
}

// answer answers the n datagrams just read, queueing the replies for the
// batch's sendmmsg. The fast path's queries are parsed first, all of
// them, and their answers' memory warmed (fastPath.warm), then served in
// order.
func (w *worker) answer(n int) {
	s, b, f := w.s, w.b, w.fast
	// Per-query Debug lines are miekg/dns's path's: take it while they are on.
	fast := !s.log.Enabled(context.Background(), slog.LevelDebug)
	if fast {
		for i := range n {
			p, _, _ := b.query(i)
			f.batch[i].parse(p)
		}
		w.sink += f.warm(f.batch[:n])
	}
	for i := range n {
		p, src, qoob := b.query(i)
		var oob []byte
		if qoob != nil {
			oob = replyOOB(b.replyOOB(), qoob)
		}
		if !fast || !src.IsValid() {
			w.slow.push(p, b.udpAddr(i), oob)
			continue
		}
		reply, handled := s.serveParsed(f, &f.batch[i], p, src.Addr().Unmap(), b.replyBuf())
		if !handled {
			w.slow.push(p, b.udpAddr(i), oob)
			continue
		}
		if reply == nil {
			continue // over the rate limit
		}
		b.reply(i, reply, oob)
	}
}
