package switchboard

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"runtime"
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

// nullOutbox keeps only the last challenge's nonce, like a client that
// reads and drops, so the heap holds what the switchboard keeps.
type nullOutbox struct{ nonce []byte }

func (o *nullOutbox) Send(m *wire.Message) bool {
	if m.Type == wire.TypeChallenge {
		o.nonce = m.Nonce
	}
	return true
}
func (o *nullOutbox) Close(string) {}

// BenchmarkIdleSessions reports what the switchboard's heap holds for each
// registered, idle client (the server keeps 18,000 of them in .ci/bench-load;
// the collector scans them on every cycle).
func BenchmarkIdleSessions(b *testing.B) {
	bd := newBoard(b, Config{})
	_, key, _ := ed25519.GenerateKey(nil)
	pub := key.Public().(ed25519.PublicKey)
	var conns []*Conn
	before := heapInUse()
	var objsBefore uint64
	{
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		objsBefore = ms.HeapObjects
	}
	i := 0
	for b.Loop() {
		i++
		n := fmt.Sprintf("+1555%07d", i)
		out := &nullOutbox{}
		c := bd.Connect(out, "127.0.0.1:1")
		c.Handle(context.Background(), &wire.Message{Type: wire.TypeHello, Seq: 1, Number: n, Key: pub})
		c.Handle(context.Background(), &wire.Message{Type: wire.TypeProof, Seq: 2, Sig: ed25519.Sign(key, wire.ProofMessage(n, out.nonce))})
		if !c.Registered() {
			b.Fatalf("%s did not register", n)
		}
		conns = append(conns, c)
	}
	b.StopTimer()
	after := heapInUse()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(int64(after)-int64(before))/float64(i), "heap-B/session")
	b.ReportMetric(float64(int64(ms.HeapObjects)-int64(objsBefore))/float64(i), "objects/session")
	runtime.KeepAlive(conns)
}
