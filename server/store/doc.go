// Package store keeps the server's persistent state in one SQLite file: the
// subscribers and their devices (the keys that may register a number, each
// with the link certificate another device of the number signed for it),
// the one-time invites an operator issues and link codes devices make,
// missed calls waiting for their callee's devices, and call detail
// records.
//
// It is the only place the server writes to disk, and it is safe for use from
// many goroutines and from more than one process on the same data directory
// (`dialtone server invite` writes invites while the server runs). It is not a
// cache of live state: registrations, leases and routes live in memory in
// their own packages.
//
// All times are stored as INTEGER Unix nanoseconds in UTC and are returned in
// UTC. That keeps comparisons and ordering in SQL exact and cheap, and covers
// the years 1678 to 2262.
package store
