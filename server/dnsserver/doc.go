// Package dnsserver is the number DNS: it answers telephone numbers with the
// addresses leased to them, from the server's live lease table.
//
// It is authoritative for two zones and refuses everything else; it never
// recurses and never forwards.
//
// # Names under the dialtone zone (default "dialtone.internal.")
//
// A number is one label of its digits, without "+", under the zone:
// 15551234567.dialtone.internal. is +15551234567, and 600.dialtone.internal.
// is the service code 600. A label of 2 to 6 digits is first looked up as a
// service code and then as E.164; a label of 7 to 15 digits is E.164 only.
//
//   - A / AAAA: the leased addresses while a lease lives. The TTL is the
//     lease's remaining life capped at Config.MaxTTL, in whole seconds rounded
//     down, and at least 1 s: a cache never holds an address past its lease.
//   - NXDOMAIN: numbers never registered, labels that are not 2–15 digits,
//     and names more than one label below the zone.
//   - NODATA (NOERROR, empty answer, SOA in authority): a registered number
//     without a live lease, or asked for a type it has no records of (AAAA
//     when only IPv4 is leased, TXT, ...).
//   - The apex has SOA and NS; the NS target is ns.<zone>, which answers
//     Config.NSAddrs (NODATA when none are configured).
//
// Negative answers carry a 1 s SOA minimum: a lease appears the moment a call
// is accepted, and a peer that asked a second earlier must not cache "no
// address" for longer than that.
//
// The default zone lives under .internal, which ICANN reserved for private
// use (2024): it can never collide with a name in the public DNS.
//
// # ENUM under e164.arpa.
//
// A registered E.164 number has one NAPTR record (RFC 6116) at its reversed
// digits, e.g. +15551234567 at 7.6.5.4.3.2.1.5.5.5.1.e164.arpa.:
//
//	order 100, preference 10, flags "u", service "E2U+x-dialtone",
//	regexp "!^.*$!<URI>!", replacement "."
//
// The URI is Entry.URI, or when that is empty (or unusable inside the
// regexp) the synthesised "dialtone:+15551234567". The dialtone URI form is
// "dialtone:" and the E.164 number, like tel: and sip: URIs; a number homed
// on another dialtone server (federation) is written
// "dialtone:+15551234567@host[:port]". The Enumservice "x-dialtone" is
// private: it is not registered with IANA, and the "x-" says so.
//
// Service codes have no ENUM names. Unknown numbers are NXDOMAIN, and so are
// partial names (a prefix of a number such as 1.e164.arpa.): the lookup
// interface cannot enumerate numbers, so the server cannot tell an empty
// non-terminal from nothing. A resolver that applies RFC 8020 ("NXDOMAIN:
// there really is nothing underneath") to a cached partial name would then
// hide real numbers, so clients query this server directly rather than
// through a caching resolver. e164.arpa. itself answers SOA and NS.
//
// # Protocol handling
//
//   - Clients whose source address is outside Config.Allow get REFUSED, as do
//     names outside both zones, class other than IN, and zone transfers
//     (AXFR, IXFR).
//   - Opcodes other than QUERY get NOTIMP; zero or several questions get
//     FORMERR; EDNS versions other than 0 get BADVERS.
//   - ANY is answered minimally (RFC 8482) with one RRset that exists at the
//     name: A (else AAAA) for a number, NAPTR for an ENUM name, SOA at an
//     apex. It is never NOTIMP: a small true answer costs less than the
//     retry a refusal provokes.
//   - Names are matched case-insensitively; the question is echoed as asked.
//   - EDNS(0) is echoed with a UDP size of 1232 (the DNS flag day 2020 value)
//     and the DO bit copied (RFC 3225); nothing is signed.
//   - UDP answers are limited to the client's EDNS size (512 without EDNS,
//     never above 1232) and sent with TC set when records had to be dropped;
//     TCP answers are limited only by the 64 KiB message size.
//
// # Limits
//
// UDP responses are rate-limited per source prefix (an IPv4 /24, an IPv6
// /56), RRL-style: a token bucket of Config.Burst responses refilled at
// Config.Rate per second (defaults 200 and 200). Over the limit every
// Config.Slip-th response (default 2nd) is sent as the question alone with
// TC set, so that a real resolver asks again over TCP, and the rest are
// dropped; a spoofed flood thus reflects at most Rate small replies per
// second at its victim. TCP is not limited: its client cannot spoof its
// address. The bucket table is bounded (65,536 prefixes); sources that do
// not fit share one overflow bucket. Stats.RateLimited and Stats.Slipped
// count them. The check costs a map lookup under one of 16 locks and no
// clock read while a source is within its limit.
//
// Over TCP a client has Config.ReadTimeout (2 s) to send its first query
// and Config.IdleTimeout (8 s) between queries, at most 128 queries per
// connection (miekg/dns's). How many TCP connections a source may hold is
// the listener's business (the server wraps it with connlimit).
//
// Malformed packets are answered FORMERR by the underlying miekg/dns server
// before the allow list is consulted; such a reply is never larger than the
// packet that caused it, so it amplifies nothing.
//
// # Serving
//
// UDP is read by one worker per two CPUs (GOMAXPROCS; Config.UDPWorkers), each on its own
// SO_REUSEPORT socket when the socket came from ListenUDP, in batches of up
// to 32 datagrams per recvmmsg and sendmmsg, until the socket is empty
// (Linux; elsewhere miekg/dns serves UDP alone, on one socket). A worker answers the queries
// it recognises from answers compiled in wire form: built once by the same
// code that answers every other query, checked against the lease table on
// every query, the lease TTL patched in, and copied out with the query's
// ID, flags and question; it allocates nothing per query. Everything else
// (and every query while Debug logging is on) is handed to miekg/dns, as is
// TCP. Either path gives the same bytes: a fuzz test holds them to it.
//
// Counters for every reply, by rcode, are read with [Server.Stats]; exporting
// them (Prometheus) is the caller's business, so this package does not
// import a metrics library.
package dnsserver
