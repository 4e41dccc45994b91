package server

import (
	"fmt"
	"log/slog"
	"net"

	"github.com/dialtone/dialtone/server/connlimit"
)

// Per-source caps on the TCP listeners, by default. The signalling
// listener's is the WebSocket cap (Config.MaxConnsPerIP) plus a few, so
// that a source at its WebSocket cap still gets the HTTP answer saying so.
const (
	defaultRelayTCPPerIP = 64 // each phone behind one NAT may hold a TURN-over-TCP connection
	defaultDNSTCPPerIP   = 16 // resolvers retry truncated answers over TCP
	defaultAdminPerIP    = 16
	defaultSIPTCPPerIP   = 64 // SIP phones behind one NAT, one connection each
	signalingSlack       = 8
)

// listenerLimits are the shares of a connection budget of total: every TCP
// listener may hold at most its Max and keeps its Reserve against the
// others. Signalling may use all that the others do not reserve, and keeps
// half; the relay's TCP port, which a silent attacker fills for free, may
// hold a quarter; DNS an eighth; SIP over TCP an eighth; admin a few.
func listenerLimits(total int, cfg *Config) (sig, dns, relay, admin, sip connlimit.Limits) {
	sig = connlimit.Limits{Name: "signalling", PerSource: cfg.MaxConnsPerIP + signalingSlack, Reserve: total / 2}
	relay = connlimit.Limits{Name: "relay", PerSource: cfg.RelayTCPPerIP, Max: total / 4, Reserve: total / 32}
	dns = connlimit.Limits{Name: "dns", PerSource: cfg.DNSTCPPerIP, Max: total / 8, Reserve: total / 32}
	admin = connlimit.Limits{Name: "admin", PerSource: cfg.AdminPerIP, Max: min(64, total/16), Reserve: min(8, total/16)}
	sip = connlimit.Limits{Name: "sip", PerSource: cfg.SIPTCPPerIP, Max: total / 8, Reserve: total / 32}
	if total == 0 { // unlimited: per-source caps only
		relay.Max, dns.Max, admin.Max, sip.Max = 0, 0, 0, 0
	}
	// A share of 0 out of a small budget would refuse everything.
	for _, l := range []*connlimit.Limits{&relay, &dns, &admin, &sip} {
		if total > 0 && l.Max == 0 {
			l.Max = 1
		}
	}
	return sig, dns, relay, admin, sip
}

// connBudget is the budget the TCP listeners share: Config.ConnBudget, or
// three quarters of RLIMIT_NOFILE.
func connBudget(cfg *Config, log *slog.Logger) int {
	if cfg.ConnBudget != 0 {
		return max(cfg.ConnBudget, 0)
	}
	nofile, err := connlimit.Nofile()
	if err != nil {
		log.Warn("no connection budget", "err", err)
		return 0
	}
	return connlimit.BudgetFor(nofile)
}

// limitListeners wraps the bound TCP listeners in the budget's limits.
func (s *Server) limitListeners() error {
	total := connBudget(&s.cfg, s.log)
	s.budget = connlimit.NewBudget(total)
	sig, dns, relay, admin, sip := listenerLimits(total, &s.cfg)
	wrap := func(ln *net.Listener, lim connlimit.Limits) error {
		if *ln == nil {
			return nil
		}
		l, err := s.budget.Listen(*ln, lim)
		if err != nil {
			return fmt.Errorf("limiting the %s listener: %w", lim.Name, err)
		}
		l.Log = s.log
		s.limited = append(s.limited, l)
		*ln = l
		return nil
	}
	for _, w := range []struct {
		ln  *net.Listener
		lim connlimit.Limits
	}{{&s.sigLn, sig}, {&s.dnsLn, dns}, {&s.relayLn, relay}, {&s.adminLn, admin}, {&s.sipLn, sip}, {&s.sipTLSLn, sipTLSLimits(sip)}} {
		if err := wrap(w.ln, w.lim); err != nil {
			return err
		}
	}
	s.log.Info("connection limits", "budget", total,
		"signalling_per_ip", sig.PerSource, "signalling_reserve", sig.Reserve,
		"relay_tcp_per_ip", relay.PerSource, "relay_tcp_max", relay.Max,
		"dns_tcp_per_ip", dns.PerSource, "dns_tcp_max", dns.Max,
		"admin_per_ip", admin.PerSource, "admin_max", admin.Max,
		"sip_tcp_per_ip", sip.PerSource, "sip_tcp_max", sip.Max)
	return nil
}

// ConnStats returns the TCP listeners' connection counters.
func (s *Server) ConnStats() []connlimit.Stats {
	out := make([]connlimit.Stats, 0, len(s.limited))
	for _, l := range s.limited {
		out = append(out, l.Stats())
	}
	return out
}
