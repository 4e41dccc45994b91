package dnsserver

import (
	"net/netip"
	"time"
)

// Entry is what the server knows of one number.
type Entry struct {
	// Registered reports that the number is a subscriber (or a service code).
	Registered bool
	// Addrs are the leased addresses while a lease lives (IPv4 and/or IPv6);
	// empty otherwise.
	Addrs []netip.Addr
	// Addr, when valid, is one more leased address, answered before
	// Addrs: a lease of one address needs no slice made for it on every
	// query (the UDP workers look the number up for each).
	Addr netip.Addr
	// TTL is the remaining life of the lease. A lease with no life left is
	// treated as no lease.
	TTL time.Duration
	// URI is the number's signalling URI for ENUM, "dialtone:+15551234567"
	// (or "dialtone:+15551234567@host[:port]" for a number homed elsewhere).
	// Empty means the server synthesises "dialtone:+<digits>".
	URI string
}

// Resolver looks numbers up in the live lease table. number is E.164 with
// "+" ("+15551234567") or a short service code ("600"). It is called for
// every query, concurrently, so it must be safe for concurrent use and fast.
type Resolver interface {
	Resolve(number string) Entry
}

// leased is every address of the lease, Addr first.
func (e Entry) leased() []netip.Addr {
	if !e.Addr.IsValid() {
		return e.Addrs
	}
	return append([]netip.Addr{e.Addr}, e.Addrs...)
}
