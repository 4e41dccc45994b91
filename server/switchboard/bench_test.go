package switchboard

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dialtone/dialtone/call/wire"
)

// BenchmarkCallSetups is the switchboard's and the store's work for one call
// (dial → accepted → hang-up acknowledged), with many pairs calling at once
// as on a busy server, so the record writer batches their commits.
func BenchmarkCallSetups(b *testing.B) {
	for _, pairs := range []int{1, 64} {
		b.Run(fmt.Sprint("pairs=", pairs), func(b *testing.B) {
			bd := newBoard(b, Config{MaxCallsPerNumber: 2})
			var ps [][2]*party
			for i := range pairs {
				ps = append(ps, [2]*party{bd.register(b, fmt.Sprintf("+1555600%04d", i)), bd.register(b, fmt.Sprintf("+1555700%04d", i))})
			}
			var left atomic.Int64
			left.Store(int64(b.N))
			b.ResetTimer()
			var wg sync.WaitGroup
			for _, p := range ps {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for left.Add(-1) >= 0 {
						id := setUp(b, p[0], p[1])
						p[0].send(&wire.Message{Type: wire.TypeHangup, Call: id})
						p[0].out.expect(b, wire.TypeHangupAck)
						p[1].out.expect(b, wire.TypeEnded)
						p[0].out.reset()
						p[1].out.reset()
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}
