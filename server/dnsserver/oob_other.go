//go:build !linux

package dnsserver

// replyOOB: only Linux sockets are asked for packet info here; elsewhere a
// wildcard socket replies from the address the routing table picks.
func replyOOB(out, oob []byte) []byte { return nil }
