// Package lease hands out addresses from a pool for the length of a call.
//
// This is the patent's core idea (EP 1 028 569, steps 290–330 and 360–370):
// a number has no fixed address; when it takes part in a call the server
// leases it an address (an IP and a port) from a pool, the DNS answers the
// number with that address, the relay binds it, and when the last call ends
// the address goes back to the pool after a hold-down, so stale packets never
// reach the next holder.
//
// A Pool is the lease table and the allocator in one. It is pure: it opens no
// sockets, starts no goroutines, and reads the time only through
// Config.Now, so tests drive it with a fake clock. It is safe for concurrent
// use.
//
// Leases are reference counted: Acquire for a number that already holds a
// lease reuses it (Refs++) and renews it; Release undoes one Acquire, and only
// the last Release frees the address. The caller renews leases while calls
// live; a lease whose holder vanished expires after Config.TTL, reads as
// absent at once, and is reclaimed by Sweep, which the caller runs on a timer.
//
// Address choice. The pool is the concatenation of Config.Prefixes (IPv4
// network and broadcast addresses and the IPv6 subnet-router anycast address
// are skipped) crossed with the port range. The allocator prefers an IP that
// no other number currently holds, so that a DNS answer names the number's own
// IP: it hands out idle IPs first (an IP whose last holder left at least a
// hold-down ago, else a never-used IP, else any idle IP) and shares an IP
// between numbers only when every IP is in use, round robin. Within an IP it
// takes the port that left hold-down longest ago, else the next unused port.
// Nothing ever enumerates the space: a cursor marks the never-used IPs, and
// FIFO queues hold the IPs and ports that have been used and are free again,
// so Acquire, Release and Renew cost O(1) amortised plus O(log n) for the
// expiry heap, however large or full the pool, and memory grows with the
// peak number of leases and hold-downs, not with the size of the prefixes.
// (An IP idle for a hold-down is reused before a never-used one; that is
// what keeps a /64 from growing the state without bound.) At most 2^62 IPs
// of the concatenated space are used; prefixes past that are ignored.
//
// What it is not: it does not bind, route or announce addresses (the relay
// and the host's configuration do), it does not know what a number means
// (numbers are opaque, non-empty strings; validating them is the caller's
// job), it does not persist leases (a restarted server starts with an empty
// pool; the caller, which recorded the old process's leases, hands them to
// Restore before the first Acquire so they wait out a hold-down), and it does
// not run timers (the caller calls Sweep).
package lease
