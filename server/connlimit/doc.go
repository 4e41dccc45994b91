// Package connlimit bounds the TCP connections a server holds, so that no
// one listener, and no one source, can take the descriptors the others need.
//
// A Budget is a number of connection slots shared by several listeners
// (signalling, DNS over TCP, the relay's TURN over TCP, admin). Each
// listener wrapped by Budget.Listen has Limits: a cap per source (an IPv4
// address, or an IPv6 /64, since one host commonly holds a whole /64), a
// ceiling on its share of the budget, and a reserve the other listeners may
// not take. A connection over any limit is accepted and closed at once, and
// counted; the listener keeps accepting. The budget is meant to be the
// process's RLIMIT_NOFILE less a reserve for descriptors that are not
// connections (the store, listening and relay sockets, files): see
// FromRlimit.
//
// connlimit only counts connections. Timeouts for connections that say
// nothing belong to the protocol servers (http.Server's timeouts, the DNS
// server's read timeouts, the relay's STUN framing deadlines).
//
// Accept errors that mean the process is out of descriptors (EMFILE,
// ENFILE) or that a connection died before it was accepted are retried
// with a backoff instead of being returned, because some servers (pion/turn)
// stop accepting for good on the first Accept error and others (miekg/dns)
// retry in a busy loop.
package connlimit
