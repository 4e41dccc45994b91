// Package relay is dialtone's media relay: an embedded TURN server
// (github.com/pion/turn/v5) on which a number's leased address is its relay
// address.
//
// Each party of a call gets TURN REST-style credentials for that call whose
// identity is its number (Relay.Credentials). An allocation made with them is
// bound on the number's lease (IP and port), and it forwards only to and from
// the leases of the other parties of the number's live calls, checked on IP
// and port, so every media packet between two phones carries the caller's
// lease as source and the callee's as destination, as in the patent.
// Allocations close when the call ends (EndCall), when the lease goes
// (Release) and when the relay stops.
//
// The relay does not own leases or calls: it asks the server through the
// Calls interface. It exports plain counters (Stats); the server turns them
// into metrics. It does not decide the media policy (relay or auto); the
// server signals that to clients.
package relay
