package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestGroupWriteFailureUndoesOnlyItself: in a shared transaction, a write
// that fails after writing a row loses that row, and the writes before and
// after it are committed.
func TestGroupWriteFailureUndoesOnlyItself(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	boom := errors.New("boom")
	add := func(number string, fail bool) *groupWrite {
		return &groupWrite{ctx: ctx, done: make(chan error, 1), fn: func(tx *wtx) error {
			if err := s.addSubscriber(ctx, tx, sub(number, 1)); err != nil {
				return err
			}
			if fail {
				return boom
			}
			return nil
		}}
	}
	batch := []*groupWrite{add("+15550100001", false), add("+15550100002", true), add("+15550100001", false), add("+15550100003", false)}
	s.commitGroup(batch)
	want := []error{nil, boom, ErrExists, nil}
	for i, w := range batch {
		if err := <-w.done; !errors.Is(err, want[i]) {
			t.Errorf("write %d: %v, want %v", i, err, want[i])
		}
	}
	for number, bound := range map[string]bool{"+15550100001": true, "+15550100002": false, "+15550100003": true} {
		_, err := s.Subscriber(ctx, number)
		if bound != (err == nil) {
			t.Errorf("%s after the group: %v", number, err)
		}
		if ds, err := s.Devices(ctx, number); err != nil || len(ds) != map[bool]int{true: 1}[bound] {
			t.Errorf("%s has devices %v (%v)", number, ds, err)
		}
	}
}

// TestConcurrentRegistrationsAllDurable: many numbers registered at once,
// each twice, are each bound once, and every one answered nil is there
// when the store is opened again.
func TestConcurrentRegistrationsAllDurable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	const n = 200
	errs := make([]error, 2*n)
	var wg sync.WaitGroup
	for i := range 2 * n {
		wg.Go(func() {
			errs[i] = s.AddSubscriber(ctx, sub(fmt.Sprintf("+1555010%04d", i%n), i))
		})
	}
	wg.Wait()
	for i := range n {
		a, b := errs[i], errs[i+n]
		if (a == nil) == (b == nil) || !errors.Is(errors.Join(a, b), ErrExists) {
			t.Errorf("number %d: %v and %v, want one bound and one ErrExists", i, a, b)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again := openStore(t, dir)
	if c, err := again.CountSubscribers(ctx); err != nil || c != n {
		t.Fatalf("%d subscribers after reopening (%v), want %d", c, err, n)
	}
}

func TestWriteAfterCloseFails(t *testing.T) {
	s := openStore(t, t.TempDir())
	s.Close()
	if err := s.AddSubscriber(context.Background(), sub("+15550100001", 1)); err == nil {
		t.Fatal("AddSubscriber after Close succeeded")
	}
}

func BenchmarkAddSubscriberParallel(b *testing.B) {
	s, _ := newStore(b)
	ctx := context.Background()
	var mu sync.Mutex
	i := 0
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			i++
			n := i
			mu.Unlock()
			if err := s.AddSubscriber(ctx, sub(fmt.Sprintf("+1%010d", n), n)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
