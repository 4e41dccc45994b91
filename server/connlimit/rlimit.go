package connlimit

// BudgetFor returns the connection budget for a process allowed nofile
// descriptors: three quarters of them. The quarter kept back (at least 64)
// is for descriptors that are not accepted connections: the store, the
// listening sockets, the relay's allocation sockets (one UDP socket per
// allocation, bounded by the lease pool and the relay's quota, not here),
// log files and the odd pprof download.
func BudgetFor(nofile uint64) int {
	const most = 1 << 30
	n := int(min(nofile, most))
	keep := max(n/4, 64)
	return max(n-keep, 0)
}
