// Package server is dialtone's server composition root: it opens the store,
// builds the lease pool, the switchboard, the signalling transport, the
// number DNS, the media relay and the admin endpoint from one Config, binds
// their listeners, runs them, and shuts them down in order. The work itself
// lives in the subpackages; this package only wires them.
//
// It also decides the limits that span parts: every TCP listener is wrapped
// in a per-source cap and a share of one connection budget derived from
// RLIMIT_NOFILE (limits.go, connlimit), and an admin listener beyond
// loopback is refused unless Config.AdminToken is set, in which case every
// admin request must carry it as a bearer token (admin.go).
package server
