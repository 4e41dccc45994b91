package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkTouchOpenCalls is the switchboard's heartbeat (every 2 s) with
// as many open calls: it rewrites each open call's row.
func BenchmarkTouchOpenCalls(b *testing.B) {
	for _, open := range []int{100, 10000} {
		b.Run(fmt.Sprint("open=", open), func(b *testing.B) {
			s, _ := newStore(b)
			ctx := context.Background()
			err := s.Batch(ctx, func(ctx context.Context) error {
				for i := range open {
					if err := s.StartCall(ctx, CDR{CallID: fmt.Sprintf("c%08d", i), Caller: "+15550001", Callee: "+15550002", Start: t0}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			at := t0
			for b.Loop() {
				at = at.Add(2 * time.Second)
				if err := s.TouchOpenCalls(ctx, at); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
