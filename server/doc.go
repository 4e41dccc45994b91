// Package server is dialtone's server composition root: it opens the store,
// builds the lease pool, the switchboard, the signalling transport, the
// number DNS, the media relay and the admin endpoint from one Config, binds
// their listeners, runs them, and shuts them down in order. The work itself
// lives in the subpackages; this package only wires them.
package server
