//go:build unix

package signaling_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
	"github.com/dialtone/dialtone/server/signaling"
)

// BenchmarkPingPong is the transport's per-message path, one message at a
// time: a ping read from a parked connection, handled, and its pong
// written back. The client's side, in the same process, is counted too.
func BenchmarkPingPong(b *testing.B) {
	url := serveSignaling(b, signaling.Config{Rate: 1e9, Burst: 1 << 30, HandshakeTimeout: time.Hour})
	c := servertest.Dial(b, url)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		seq := c.Send(&wire.Message{Type: wire.TypePing})
		c.ExpectReply(seq)
	}
	// CPU time drifts less than wall time on a shared machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
