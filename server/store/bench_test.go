package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

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
