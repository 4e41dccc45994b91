package web

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/wire"
)

// MaxFormatQuery is the most bytes of query string the formatter reads;
// a typed number is at most number.MaxInput characters, and escaped
// three bytes each.
const MaxFormatQuery = 256

// FormatConfig describes a Formatter.
type FormatConfig struct {
	// Rate is the answers a second one source may have; default 20 (a
	// person typing, debounced, asks a few times a second).
	Rate float64
	// Burst is how many it may have at once; default 40.
	Burst int
	// MaxSources bounds the sources remembered; while that many are busy
	// a new one is refused. Default 4096.
	MaxSources int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (c *FormatConfig) validate() {
	if c.Rate <= 0 {
		c.Rate = 20
	}
	if c.Burst <= 0 {
		c.Burst = 40
	}
	if c.MaxSources <= 0 {
		c.MaxSources = 4096
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Formatter answers wire.FormatPath: what call/number makes of a typed
// number, so the browser phone shows numbers by the terminal phone's
// rules without a second copy of the numbering plans in JavaScript.
type Formatter struct {
	cfg FormatConfig
	mu  sync.Mutex
	src map[netip.Addr]*source
}

type source struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleAfter is how long a source is kept without asking; by then its
// bucket is full again, so forgetting it changes nothing.
const idleAfter = time.Minute

// NewFormatter returns a Formatter.
func NewFormatter(cfg FormatConfig) *Formatter {
	cfg.validate()
	return &Formatter{cfg: cfg, src: make(map[netip.Addr]*source)}
}

// ServeHTTP answers GET ?n=TYPED&region=CC with a wire.Formatted.
func (f *Formatter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	strict(hd)
	hd.Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !sameOrigin(r) {
		http.Error(w, "cross-origin requests are refused", http.StatusForbidden)
		return
	}
	if !f.allow(sourceOf(r)) {
		hd.Set("Retry-After", "1")
		http.Error(w, "too many requests", http.StatusTooManyRequests)
		return
	}
	if len(r.URL.RawQuery) > MaxFormatQuery {
		http.Error(w, "query too long", http.StatusRequestURITooLong)
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		http.Error(w, "malformed query", http.StatusBadRequest)
		return
	}
	region := q.Get("region")
	if !isRegion(region) {
		http.Error(w, "region is two letters (ISO 3166) or empty", http.StatusBadRequest)
		return
	}
	hd.Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Format(q.Get("n"), region))
}

// Format is what call/number makes of typed, for a phone in region.
func Format(typed, region string) wire.Formatted {
	out := wire.Formatted{Display: number.Typed(typed, region)}
	n, err := number.Parse(typed, region)
	if err != nil {
		out.Reason = number.Reason(err)
		if len(typed) > number.MaxInput {
			out.Display = typed[:number.MaxInput] // what was typed is not echoed whole
		}
		return out
	}
	out.OK, out.Number, out.Service, out.Region = true, n.String(), n.IsService(), number.Region(n)
	return out
}

func (f *Formatter) allow(a netip.Addr) bool {
	now := f.cfg.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.src[a]
	if s == nil {
		if len(f.src) >= f.cfg.MaxSources {
			for k, v := range f.src {
				if now.Sub(v.seen) > idleAfter {
					delete(f.src, k)
				}
			}
		}
		if len(f.src) >= f.cfg.MaxSources {
			return false
		}
		s = &source{lim: rate.NewLimiter(rate.Limit(f.cfg.Rate), f.cfg.Burst)}
		f.src[a] = s
	}
	s.seen = now
	return s.lim.AllowN(now, 1)
}

// sameOrigin refuses what a browser marks as coming from another site's
// page, as the signalling WebSocket does; clients that are not browsers
// send neither header.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func sourceOf(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func isRegion(s string) bool {
	if s == "" {
		return true
	}
	if len(s) != 2 {
		return false
	}
	for i := range 2 {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
