package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBatch(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	t0 := time.Unix(1_800_000_000, 0).UTC() // shadows the package clock start on purpose
	if err := s.StartCall(ctx, CDR{CallID: "dup", Caller: "+15550100001", Callee: "+15550100002", Start: t0}); err != nil {
		t.Fatal(err)
	}
	err := s.Batch(ctx, func(ctx context.Context) error {
		if err := s.StartCall(ctx, CDR{CallID: "a", Caller: "+15550100001", Callee: "+15550100002", Start: t0}); err != nil {
			return err
		}
		// A failing write rolls back only itself.
		if err := s.StartCall(ctx, CDR{CallID: "dup", Caller: "x", Callee: "y", Start: t0}); !errors.Is(err, ErrExists) {
			t.Errorf("duplicate in a batch: %v", err)
		}
		if err := s.AnswerCall(ctx, "a", t0.Add(time.Second), "127.77.0.2:40000", "127.77.0.1:40000"); err != nil {
			return err
		}
		return s.EndCall(ctx, "a", t0.Add(3*time.Second), "hangup")
	})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := s.Calls(ctx, 10)
	if err != nil || len(cs) != 2 {
		t.Fatalf("calls after the batch: %+v %v", cs, err)
	}
	for _, c := range cs {
		if c.CallID == "a" && (c.Duration() != 2*time.Second || c.Reason != "hangup") {
			t.Fatalf("batched call: %+v", c)
		}
		if c.CallID == "dup" && c.Caller != "+15550100001" {
			t.Fatalf("the failed write changed the first record: %+v", c)
		}
	}
	// A batch whose function fails commits nothing.
	boom := errors.New("boom")
	err = s.Batch(ctx, func(ctx context.Context) error {
		if err := s.StartCall(ctx, CDR{CallID: "gone", Caller: "+15550100001", Callee: "+15550100002", Start: t0}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("batch error = %v", err)
	}
	if cs, _ := s.Calls(ctx, 10); len(cs) != 2 {
		t.Fatalf("a failed batch left %d calls", len(cs))
	}
}

func BenchmarkCallRecordBatched(b *testing.B) {
	ctx := context.Background()
	s := openStore(b, b.TempDir())
	const per = 64
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = s.Batch(ctx, func(ctx context.Context) error {
			for range per {
				i++
				id := string(rune('a'+i%26)) + time.Now().Format("150405.000000000") + string(rune(i))
				_ = s.StartCall(ctx, CDR{CallID: id, Caller: "+15550100001", Callee: "+15550100002"})
				_ = s.AnswerCall(ctx, id, time.Time{}, "a", "b")
				_ = s.EndCall(ctx, id, time.Time{}, "hangup")
			}
			return nil
		})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*per), "ns/call")
}
