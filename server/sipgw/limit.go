package sipgw

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// sources rate-limits messages per source address. It is bounded: idle
// sources age out, and while it is full of busy ones a new source is refused.
type sources struct {
	mu    sync.Mutex
	rate  rate.Limit
	burst int
	max   int
	m     map[netip.Addr]*source
}

type source struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleAfter is how long a source is kept without traffic; by then its bucket
// is full again, so forgetting it changes nothing.
const idleAfter = time.Minute

func newSources(r float64, burst, max int) *sources {
	return &sources{rate: rate.Limit(r), burst: burst, max: max, m: make(map[netip.Addr]*source)}
}

func (s *sources) allow(a netip.Addr, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.m[a]
	if src == nil {
		if len(s.m) >= s.max {
			for k, v := range s.m {
				if now.Sub(v.seen) > idleAfter {
					delete(s.m, k)
				}
			}
		}
		if len(s.m) >= s.max {
			return false
		}
		src = &source{lim: rate.NewLimiter(s.rate, s.burst)}
		s.m[a] = src
	}
	src.seen = now
	return src.lim.AllowN(now, 1)
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
