package servertest

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/dialtone/dialtone/call/wire"
)

// Proxy forwards TCP to a server and can cut every connection through it at
// once, as a network that drops does; clients then reconnect through it.
type Proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

// NewProxy listens on loopback and forwards to target (host:port) until the
// test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.Drop(); p.wg.Wait() })
	return p
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); io.Copy(s, c); s.Close() }()
		go func() { defer p.wg.Done(); io.Copy(c, s); c.Close() }()
	}
}

// Drop cuts every connection through the proxy.
func (p *Proxy) Drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Kill stops accepting and cuts every connection, as a server process that
// dies does: clients trying to reconnect are refused.
func (p *Proxy) Kill() {
	p.ln.Close()
	p.Drop()
}

// URL is the signalling URL through the proxy.
func (p *Proxy) URL() string { return "ws://" + p.ln.Addr().String() + wire.Path }
