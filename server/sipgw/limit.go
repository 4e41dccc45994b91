package sipgw

import (
	"bytes"
	"container/list"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// sources rate-limits messages per source address. It is bounded: when
// it is full the source seen longest ago gives way. Forgetting a source
// only gives it a full bucket again, and a flooder, seen all the time, is
// never the one forgotten; refusing newcomers instead would let anyone who
// sends one spoofed UDP packet a minute from each of max addresses keep
// every new phone out.
type sources struct {
	mu    sync.Mutex
	rate  rate.Limit
	burst int
	max   int
	m     map[netip.Addr]*list.Element // of *source
	lru   list.List                    // most recently seen first
}

type source struct {
	addr netip.Addr
	lim  *rate.Limiter
}

func newSources(r float64, burst, max int) *sources {
	return &sources{rate: rate.Limit(r), burst: burst, max: max, m: make(map[netip.Addr]*list.Element)}
}

// allow takes n messages from a's bucket.
func (s *sources) allow(a netip.Addr, n int, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[a]
	if e == nil {
		if s.lru.Len() >= s.max {
			old := s.lru.Back()
			s.lru.Remove(old)
			delete(s.m, old.Value.(*source).addr)
		}
		e = s.lru.PushFront(&source{addr: a, lim: rate.NewLimiter(s.rate, s.burst)})
		s.m[a] = e
	} else {
		s.lru.MoveToFront(e)
	}
	return e.Value.(*source).lim.AllowN(now, n)
}

func (s *sources) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}

// messages counts the SIP messages a stream read may complete: each ends
// its header with an empty line. A body holding one more only costs its
// sender; a message split across reads is counted by none, at most one
// per read, and every read counts at least one.
func messages(data []byte) int {
	return max(1, bytes.Count(data, []byte("\r\n\r\n")))
}

// addrOf returns the IP of a UDP or TCP address.
func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
