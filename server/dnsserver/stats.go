package dnsserver

import (
	"strconv"
	"sync/atomic"

	"github.com/miekg/dns"
)

// Stats are the server's counters since New. They only grow, so an exporter
// can publish them as Prometheus counters as they are.
type Stats struct {
	// Replies counts replies written, by rcode name ("NOERROR",
	// "NXDOMAIN", "REFUSED", ...). Rcodes never sent are absent.
	Replies map[string]uint64
	// NoData counts NOERROR replies with an empty answer section.
	NoData uint64
	// Truncated counts UDP replies sent with TC set.
	Truncated uint64
	// Malformed counts packets that could not be parsed; the miekg/dns
	// server answers them FORMERR (or not at all) without calling ServeDNS,
	// so they are not in Replies.
	Malformed uint64
	// Dropped counts packets ignored without a reply: responses sent to
	// us, and queries the UDP workers could not queue for the miekg/dns
	// path (1024 waiting).
	Dropped uint64
	// WriteErrors counts replies that could not be sent.
	WriteErrors uint64
	// RateLimited counts UDP responses dropped over the per-source rate,
	// Slipped those sent instead as empty truncated replies (not counted in
	// Replies or Truncated).
	RateLimited, Slipped uint64
}

// counters are the live Stats.
type counters struct {
	rcodes      [dns.RcodeBadCookie + 1]atomic.Uint64 // every rcode we can send
	otherRcode  atomic.Uint64
	noData      atomic.Uint64
	truncated   atomic.Uint64
	malformed   atomic.Uint64
	dropped     atomic.Uint64
	writeErrors atomic.Uint64
	rateLimited atomic.Uint64
	slipped     atomic.Uint64
}

func (c *counters) count(m *dns.Msg) {
	if m.Rcode >= 0 && m.Rcode < len(c.rcodes) {
		c.rcodes[m.Rcode].Add(1)
	} else {
		c.otherRcode.Add(1)
	}
	if m.Rcode == dns.RcodeSuccess && len(m.Answer) == 0 {
		c.noData.Add(1)
	}
	if m.Truncated {
		c.truncated.Add(1)
	}
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	st := Stats{
		Replies:     make(map[string]uint64),
		NoData:      c.noData.Load(),
		Truncated:   c.truncated.Load(),
		Malformed:   c.malformed.Load(),
		Dropped:     c.dropped.Load(),
		WriteErrors: c.writeErrors.Load(),
		RateLimited: c.rateLimited.Load(),
		Slipped:     c.slipped.Load(),
	}
	for rc := range c.rcodes {
		if n := c.rcodes[rc].Load(); n > 0 {
			st.Replies[rcodeName(rc)] = n
		}
	}
	if n := c.otherRcode.Load(); n > 0 {
		st.Replies["OTHER"] = n
	}
	return st
}

// rcodeName names an rcode as this server means it: 16 is BADVERS here
// (miekg/dns names it BADSIG, its meaning in TSIG).
func rcodeName(rc int) string {
	if rc == dns.RcodeBadVers {
		return "BADVERS"
	}
	if name, ok := dns.RcodeToString[rc]; ok {
		return name
	}
	return "RCODE" + strconv.Itoa(rc)
}
