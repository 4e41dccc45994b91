package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dialtone/dialtone/server/relay"
)

// LeaseView is one lease in the admin API.
type LeaseView struct {
	Number   string    `json:"number"`
	Addr     string    `json:"addr"`
	Refs     int       `json:"refs"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
}

// adminHandler serves /metrics and the JSON admin API on the admin listener.
func (s *Server) adminHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{s: s})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /api/leases", func(w http.ResponseWriter, r *http.Request) {
		ls := s.pool.List()
		out := make([]LeaseView, 0, len(ls))
		for _, l := range ls {
			out = append(out, LeaseView{Number: l.Number, Addr: l.Addr.String(), Refs: l.Refs, Acquired: l.Acquired, Expires: l.Expires})
		}
		writeJSON(w, out)
	})
	mux.HandleFunc("GET /api/numbers", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.numbers()) })
	mux.HandleFunc("GET /api/calls", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.sb.Calls()) })
	mux.HandleFunc("GET /api/pool", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.pool.Stats()) })
	// Profiles, for an operator chasing a slow server; the admin listener
	// belongs on loopback.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	if s.cfg.AdminToken == "" {
		return mux
	}
	return requireToken(s.cfg.AdminToken, mux)
}

// requireToken lets through only requests that carry token as a bearer
// token. The comparison is of SHA-256 digests in constant time, so that
// neither the token's bytes nor its length show in the timing.
func requireToken(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dialtone admin"`)
			http.Error(w, "an admin token is required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// logAdmin says what was decided about the admin listener.
func (s *Server) logAdmin() {
	if s.adminLn == nil {
		s.log.Info("admin API off")
		return
	}
	addr := s.adminLn.Addr().String()
	switch {
	case s.cfg.AdminToken != "" && !isLoopback(addr):
		s.log.Warn("admin API reachable beyond loopback; every request needs the admin token", "addr", addr)
	case s.cfg.AdminToken != "":
		s.log.Info("admin API on loopback; every request needs the admin token", "addr", addr)
	default:
		s.log.Info("admin API on loopback without a token: anyone on this host can read it", "addr", addr)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// collector reads every part's counters at scrape time, so nothing on a
// call's path touches Prometheus.
type collector struct{ s *Server }

var (
	descRegistered  = prometheus.NewDesc("dialtone_numbers_registered", "Registered numbers and services.", nil, nil)
	descOnline      = prometheus.NewDesc("dialtone_clients_online", "Clients with a session (connected or within grace).", nil, nil)
	descDropped     = prometheus.NewDesc("dialtone_clients_dropped", "Sessions whose connection dropped, held for a resume.", nil, nil)
	descCalls       = prometheus.NewDesc("dialtone_calls", "Live calls by state.", []string{"state"}, nil)
	descCallEvents  = prometheus.NewDesc("dialtone_call_events_total", "Call events by kind.", []string{"event"}, nil)
	descLeases      = prometheus.NewDesc("dialtone_leases", "Leased addresses by state.", []string{"state"}, nil)
	descCapacity    = prometheus.NewDesc("dialtone_lease_capacity", "Addresses in the pool.", nil, nil)
	descExhausted   = prometheus.NewDesc("dialtone_lease_exhausted_total", "Lease requests refused because the pool was exhausted.", nil, nil)
	descConns       = prometheus.NewDesc("dialtone_signaling_connections", "Open signalling connections.", nil, nil)
	descSigEvents   = prometheus.NewDesc("dialtone_signaling_events_total", "Signalling transport events.", []string{"event"}, nil)
	descDNSReplies  = prometheus.NewDesc("dialtone_dns_replies_total", "DNS replies by rcode.", []string{"rcode"}, nil)
	descDNSNoData   = prometheus.NewDesc("dialtone_dns_nodata_total", "NOERROR DNS replies with no answer.", nil, nil)
	descAllocs      = prometheus.NewDesc("dialtone_relay_allocations", "Live relay allocations.", nil, nil)
	descAllocsTotal = prometheus.NewDesc("dialtone_relay_allocations_total", "Relay allocations granted.", nil, nil)
	descRelayBytes  = prometheus.NewDesc("dialtone_relay_bytes_total", "Bytes relayed, by direction.", []string{"dir"}, nil)
	descRelayPkts   = prometheus.NewDesc("dialtone_relay_packets_total", "Packets relayed, by direction.", []string{"dir"}, nil)
	descRefusals    = prometheus.NewDesc("dialtone_relay_refusals_total", "Relay requests refused, by reason.", []string{"reason"}, nil)
	descLeaseBytes  = prometheus.NewDesc("dialtone_relay_lease_bytes_total", "Bytes relayed per lease, by direction.", []string{"lease", "dir"}, nil)
	descHistory     = prometheus.NewDesc("dialtone_resume_history_bytes", "Bytes the sessions keep for resumes, as their bounds count them.", nil, nil)
	descDNSLimited  = prometheus.NewDesc("dialtone_dns_rate_limited_total", "UDP DNS responses over the per-source rate, by what was sent instead (dropped: nothing; slipped: empty and truncated).", []string{"action"}, nil)
	descRelayEarly  = prometheus.NewDesc("dialtone_relay_early_datagrams_total", "Datagrams from a peer that came before the client's TURN permission for it, by outcome (held: kept and delivered once the permission exists, or dropped after 2s; dropped: over 8 per allocation or unclaimed).", []string{"outcome"}, nil)
	descRelayTCP    = prometheus.NewDesc("dialtone_relay_tcp_closed_total", "TURN-over-TCP connections the relay closed, by reason.", []string{"reason"}, nil)
	descTCPConns    = prometheus.NewDesc("dialtone_tcp_connections", "Open TCP connections, by listener.", []string{"listener"}, nil)
	descTCPRefused  = prometheus.NewDesc("dialtone_tcp_refused_total", "TCP connections closed at accept, by listener and reason (per_source, share, budget).", []string{"listener", "reason"}, nil)
	descTCPRetries  = prometheus.NewDesc("dialtone_tcp_accept_retries_total", "Accept errors retried (out of descriptors, aborted), by listener.", []string{"listener"}, nil)
	descTCPBudget   = prometheus.NewDesc("dialtone_tcp_budget", "TCP connections all listeners may hold together (0: unlimited).", nil, nil)
	descSIPRegs     = prometheus.NewDesc("dialtone_sip_registrations", "Live SIP device registrations.", nil, nil)
	descSIPNonces   = prometheus.NewDesc("dialtone_sip_nonces", "SIP digest nonces answered and not yet expired.", nil, nil)
	descSIPEvents   = prometheus.NewDesc("dialtone_sip_events_total", "SIP registrar events by kind.", []string{"event"}, nil)
	descSIPCalls    = prometheus.NewDesc("dialtone_sip_calls_total", "SIP calls by event (in: INVITEs from SIP phones placed; out: INVITEs to them; answered; not_acceptable: offers without Opus, G.711 or VP8, answered 488; trunk_in: INVITEs from --sip-route trunks; trunk_out: calls sent to them; transcoded: calls whose SIP side's G.711 was transcoded to and from Opus).", []string{"event"}, nil)
	descSIPBridged  = prometheus.NewDesc("dialtone_sip_bridged_calls", "SIP calls with media bridged now.", nil, nil)
	descSIPRTP      = prometheus.NewDesc("dialtone_sip_rtp_packets_total", "RTP packets across the SIP bridge, by direction (from_sip, to_sip, dropped: strangers', after the latch window, unknown payload types).", []string{"direction"}, nil)
	descSIPKeyReq   = prometheus.NewDesc("dialtone_sip_key_frame_requests_total", "Key-frame requests passed across the SIP bridge (PLI, FIR, SIP INFO).", nil, nil)
	descSIPRTCP     = prometheus.NewDesc("dialtone_sip_rtcp_reports_total", "RTCP reports across the SIP leg, by direction (to_sip: the gateway's compound SR or RR with SDES; from_sip: the phones' SRs and RRs).", []string{"direction"}, nil)
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	st := s.sb.Stats()
	gauge(descRegistered, float64(st.Registered))
	gauge(descOnline, float64(st.Online))
	gauge(descDropped, float64(st.Dropped))
	gauge(descHistory, float64(st.HistoryBytes))
	gauge(descCalls, float64(st.Ringing), "ringing")
	gauge(descCalls, float64(st.Active), "active")
	for name, v := range map[string]uint64{
		"registration": st.Registrations, "auth_failure": st.AuthFailures, "dial": st.Dials, "accepted": st.Accepted,
		"refused": st.Refused, "cancelled": st.Cancelled, "no_answer": st.NoAnswer, "unavailable": st.Unavailable,
		"busy": st.Busy, "hangup": st.Hangups, "peer_lost": st.PeerLost, "no_capacity": st.NoCapacity, "resume": st.Resumes,
		"candidate_dropped": st.CandidatesDropped, "dial_limited": st.DialLimited,
		"resume_refused": st.ResumesRefused,
	} {
		counter(descCallEvents, v, name)
	}
	ps := s.pool.Stats()
	gauge(descLeases, float64(ps.InUse), "in_use")
	gauge(descLeases, float64(ps.HeldDown), "held_down")
	gauge(descCapacity, float64(ps.Capacity))
	counter(descExhausted, ps.Exhaustions)
	ss := s.sig.Stats()
	gauge(descConns, float64(ss.Connections))
	for name, v := range map[string]int64{"accepted": ss.Accepted, "rejected": ss.Rejected, "bad_message": ss.BadMessages,
		"rate_limited": ss.RateLimited, "slow_closed": ss.SlowClosed} {
		counter(descSigEvents, uint64(v), name)
	}
	if s.dns != nil {
		ds := s.dns.Stats()
		for rcode, v := range ds.Replies {
			counter(descDNSReplies, v, rcode)
		}
		counter(descDNSNoData, ds.NoData)
		counter(descDNSLimited, ds.RateLimited, "dropped")
		counter(descDNSLimited, ds.Slipped, "slipped")
	}
	if s.sip != nil {
		st := s.sip.Stats()
		gauge(descSIPRegs, float64(st.Registrations))
		gauge(descSIPNonces, float64(st.Nonces))
		for name, v := range map[string]uint64{"register": st.Registers, "challenge": st.Challenges,
			"auth_failure": st.AuthFailures, "not_found": st.NotFound, "malformed": st.Malformed,
			"too_large": st.TooLarge, "rate_limited": st.RateLimited} {
			counter(descSIPEvents, v, name)
		}
		for name, v := range map[string]uint64{"in": st.CallsIn, "out": st.CallsOut, "answered": st.Answered,
			"not_acceptable": st.NotAcceptable, "trunk_in": st.TrunkIn, "trunk_out": st.TrunkOut, "transcoded": st.Transcoded,
			"delayed_offer": st.DelayedOffers, "delayed_offer_failed": st.DelayedFailed} {
			counter(descSIPCalls, v, name)
		}
		gauge(descSIPBridged, float64(st.Bridged))
		counter(descSIPRTP, st.RTPFromSIP, "from_sip")
		counter(descSIPRTP, st.RTPToSIP, "to_sip")
		counter(descSIPRTP, st.RTPDropped, "dropped")
		counter(descSIPKeyReq, st.KeyFrames)
		counter(descSIPRTCP, st.RTCPToSIP, "to_sip")
		counter(descSIPRTCP, st.RTCPFromSIP, "from_sip")
	}
	if s.relay != nil {
		rs := s.relay.Stats()
		gauge(descAllocs, float64(rs.Allocations))
		counter(descAllocsTotal, rs.AllocationsTotal)
		counter(descRelayEarly, rs.Held, "held")
		counter(descRelayEarly, rs.HeldDropped, "dropped")
		c.relayTraffic(ch, rs)
		for why, v := range rs.TCP.Closed {
			counter(descRelayTCP, v, why)
		}
	}
	gauge(descTCPBudget, float64(s.budget.Total()))
	for _, ls := range s.ConnStats() {
		gauge(descTCPConns, float64(ls.Open), ls.Name)
		counter(descTCPRetries, ls.AcceptRetries, ls.Name)
		for why, v := range ls.Refused {
			counter(descTCPRefused, v, ls.Name, why)
		}
	}
}

func (c *collector) relayTraffic(ch chan<- prometheus.Metric, rs relay.Stats) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descRelayBytes, rs.Total.BytesIn, "in")
	counter(descRelayBytes, rs.Total.BytesOut, "out")
	counter(descRelayPkts, rs.Total.PacketsIn, "in")
	counter(descRelayPkts, rs.Total.PacketsOut, "out")
	for reason, v := range rs.Refusals {
		counter(descRefusals, v, string(reason))
	}
	for addr, l := range rs.Leases {
		counter(descLeaseBytes, l.BytesIn, addr.String(), "in")
		counter(descLeaseBytes, l.BytesOut, addr.String(), "out")
	}
}
