package switchboard

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dialtone/dialtone/call/wire"
)

// BenchmarkResolveContended is the number DNS's look-up while signalling
// works the switchboard: parallel Resolves of registered numbers, with
// nothing else running (idle), with a goroutine that takes sb.mu in a
// loop and holds it a few hundred nanoseconds each time (mutex), and with
// pairs of clients setting up and hanging up calls (calls), as under a
// signalling load.
func BenchmarkResolveContended(b *testing.B) {
	for _, load := range []string{"idle", "mutex", "calls"} {
		b.Run(load, func(b *testing.B) {
			bd := newBoard(b, Config{MaxCallsPerNumber: 2})
			var nums []string
			for i := range 64 {
				nums = append(nums, bd.register(b, fmt.Sprintf("+1555800%04d", i)).number)
			}
			var ps [][2]*party
			if load == "calls" {
				for i := range 4 {
					ps = append(ps, [2]*party{bd.register(b, fmt.Sprintf("+1555600%04d", i)), bd.register(b, fmt.Sprintf("+1555700%04d", i))})
				}
			}
			var stop atomic.Bool
			var held atomic.Int64
			var wg sync.WaitGroup
			switch load {
			case "mutex":
				wg.Add(1)
				go func() {
					defer wg.Done()
					var sink int
					for !stop.Load() {
						bd.mu.Lock()
						for i := range 2000 { // a few hundred nanoseconds under the lock
							sink += i * i
						}
						bd.mu.Unlock()
						held.Add(1)
					}
					_ = sink
				}()
			case "calls":
				for _, p := range ps {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for !stop.Load() {
							id := setUp(b, p[0], p[1])
							p[0].send(&wire.Message{Type: wire.TypeHangup, Call: id})
							p[0].out.expect(b, wire.TypeHangupAck)
							p[1].out.expect(b, wire.TypeEnded)
							p[0].out.reset()
							p[1].out.reset()
							held.Add(1)
						}
					}()
				}
			}
			var next atomic.Uint64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := next.Add(1)
				for pb.Next() {
					if !bd.Resolve(nums[i%uint64(len(nums))]).Registered {
						b.Error("a registered number resolved unregistered")
						return
					}
					i++
				}
			})
			b.StopTimer()
			stop.Store(true)
			wg.Wait()
			if load != "idle" {
				b.ReportMetric(float64(held.Load())/b.Elapsed().Seconds(), "locker-loops/s")
			}
		})
	}
}
