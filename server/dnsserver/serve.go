package dnsserver

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// shutdownGrace bounds how long Serve waits for in-flight queries once ctx
// ends; a DNS query takes microseconds, a stuck TCP client is cut off.
const shutdownGrace = 2 * time.Second

// Serve answers queries on pc (UDP) and ln (TCP) until ctx ends or one of
// them fails, then stops both and returns. Either may be nil, not both.
// A *net.UDPConn is served by Config.UDPWorkers workers in batches, with compiled
// answers (serveUDP, on Linux); open it with ListenUDP for a socket per worker. Any
// other PacketConn, and TCP, are served by miekg/dns alone.
// Serve owns pc and ln: they are closed when it returns. The error is nil
// after a shutdown through ctx.
func (s *Server) Serve(ctx context.Context, pc net.PacketConn, ln net.Listener) error {
	if pc == nil && ln == nil {
		return errNoListener
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	run := func(ds *dns.Server, what string) {
		defer wg.Done()
		if err := s.run(ctx, ds); err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = fmt.Errorf("serving DNS over %s: %w", what, err)
			}
			mu.Unlock()
			cancel() // one transport failing stops the other
		}
	}
	if udp, ok := pc.(*net.UDPConn); ok && haveBatches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.serveUDP(ctx, udp); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("serving DNS over UDP: %w", err)
				}
				mu.Unlock()
				cancel()
			}
		}()
	} else if pc != nil {
		wg.Add(1)
		go run(s.dnsServer(&dns.Server{PacketConn: pc, UDPSize: ednsSize}), "UDP")
	}
	if ln != nil {
		wg.Add(1)
		idle := s.idleTO
		go run(s.dnsServer(&dns.Server{Listener: ln, ReadTimeout: s.readTO, IdleTimeout: func() time.Duration { return idle }}), "TCP")
	}
	wg.Wait()
	return firstErr
}

// dnsServer completes ds with the hooks every transport shares.
func (s *Server) dnsServer(ds *dns.Server) *dns.Server {
	ds.Handler = s
	ds.MsgAcceptFunc = s.accept
	ds.MsgInvalidFunc = func([]byte, error) { s.stats.malformed.Add(1) }
	return ds
}

// run serves one transport until ctx ends or it fails. A clean shutdown
// returns nil.
func (s *Server) run(ctx context.Context, ds *dns.Server) error {
	started := make(chan struct{})
	ds.NotifyStartedFunc = func() { close(started) }
	done := make(chan error, 1)
	go func() { done <- ds.ActivateAndServe() }()

	select {
	case err := <-done:
		closeListeners(ds)
		return err
	case <-ctx.Done():
	}
	// ActivateAndServe may not have marked the server started yet, and
	// shutting down before that is an error in miekg/dns.
	select {
	case err := <-done:
		closeListeners(ds)
		return err
	case <-started:
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := ds.ShutdownContext(sctx); err != nil {
		s.log.Warn("shutting down DNS", "err", err)
	}
	return <-done
}

// closeListeners closes what a server that never started left open.
func closeListeners(ds *dns.Server) {
	if ds.PacketConn != nil {
		ds.PacketConn.Close()
	}
	if ds.Listener != nil {
		ds.Listener.Close()
	}
}

// accept is the first check on every packet, before it is parsed. It leaves
// the decisions that need the client's address (allow list) or the parsed
// message to ServeDNS, so that they are taken, and counted, in one place.
func (s *Server) accept(dh dns.Header) dns.MsgAcceptAction {
	const qr = 1 << 15
	if dh.Bits&qr != 0 {
		// A response sent to a server: answering it could start a loop.
		s.stats.dropped.Add(1)
		return dns.MsgIgnore
	}
	if dh.Ancount > 1 || dh.Nscount > 1 || dh.Arcount > 2 {
		// Not a query anyone sends; refuse to parse pages of records.
		s.stats.malformed.Add(1)
		return dns.MsgReject
	}
	return dns.MsgAccept
}
