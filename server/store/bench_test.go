package store

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system CPU time so far. Benchmarks on
// this shared machine report it per operation beside the wall time, which
// other processes' load stretches: the store's writes are CPU work, and the
// process's CPU time counts all of it (the driver, the kernel's part of the
// WAL writes, the checkpointer, GC) and nothing else's.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkAddSubscriber(b *testing.B) {
	s, _ := newStore(b)
	ctx := context.Background()
	k := key(1)
	i := 0
	for b.Loop() {
		if err := s.AddSubscriber(ctx, Subscriber{Number: fmt.Sprintf("+1%010d", i), Key: k}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCallRecord is the store's work for one answered call.
func BenchmarkCallRecord(b *testing.B) {
	s, _ := newStore(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		id := fmt.Sprint(i)
		if err := s.StartCall(ctx, CDR{CallID: id, Caller: "+15550001", Callee: "+15550002", Start: t0}); err != nil {
			b.Fatal(err)
		}
		if err := s.AnswerCall(ctx, id, t0.Add(time.Second), "127.77.0.2:5000", "127.77.0.1:5000"); err != nil {
			b.Fatal(err)
		}
		if err := s.EndCall(ctx, id, t0.Add(time.Minute), "hangup"); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkSubscriber(b *testing.B) {
	s, _ := newStore(b)
	ctx := context.Background()
	if err := s.AddSubscriber(ctx, sub("+15550001", 1)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Subscriber(ctx, "+15550001"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallRecordsPerCommit is the store's work per answered call when k
// records share a commit, in the pattern a busy switchboard writes: the
// start of one call, the answer of an earlier one, the end of one before.
func BenchmarkCallRecordsPerCommit(b *testing.B) {
	for _, k := range []int{1, 3, 10, 30} {
		b.Run(fmt.Sprint(k), func(b *testing.B) {
			s, _ := newStore(b)
			ctx := context.Background()
			i := 0
			id := func(n int) string { return fmt.Sprintf("%012d", n) }
			cpu0 := cpuTime(b)
			for b.Loop() {
				err := s.Batch(ctx, func(ctx context.Context) error {
					for range k {
						if err := s.StartCall(ctx, CDR{CallID: id(i), Caller: "+15550001", Callee: "+15550002", Start: t0}); err != nil {
							return err
						}
						if i >= 5 {
							if err := s.AnswerCall(ctx, id(i-5), t0.Add(time.Second), "127.77.0.2:5000", "127.77.0.1:5000"); err != nil {
								return err
							}
						}
						if i >= 10 {
							if err := s.EndCall(ctx, id(i-10), t0.Add(time.Minute), "hangup"); err != nil {
								return err
							}
						}
						i++
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i)/1e3, "µs/call")
			b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(i)/1e3, "cpu-µs/call")
		})
	}
}
