package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// errAny in a table means "some error, no particular one".
var errAny = errors.New("any error")

func checkErr(t *testing.T, op string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: %v, want success", op, err)
	case want == errAny && err == nil:
		t.Errorf("%s succeeded, want an error", op)
	case want != nil && want != errAny && !errors.Is(err, want):
		t.Errorf("%s: %v, want %v", op, err, want)
	}
}

func TestAddSubscriber(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	// The cases run in order on one store: "bound already" follows "ok".
	for _, tc := range []struct {
		name string
		add  Subscriber
		want error
	}{
		{"ok", sub("+15550001", 1), nil},
		{"bound already", sub("+15550001", 2), ErrExists},
		{"same key other number", sub("+15550002", 1), nil},
		{"no number", Subscriber{Key: key(3)}, errAny},
		{"short key", Subscriber{Number: "+15550003", Key: key(3)[:31]}, errAny},
		{"no key", Subscriber{Number: "+15550003"}, errAny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkErr(t, "AddSubscriber", s.AddSubscriber(ctx, tc.add), tc.want)
		})
	}
	got, err := s.Subscriber(ctx, "+15550001")
	if err != nil {
		t.Fatal(err)
	}
	if !sameSubscriber(got, sub("+15550001", 1)) {
		t.Errorf("the first binding did not stick: %+v", got)
	}
}

func TestSubscriber(t *testing.T) {
	s, clk := newStore(t)
	ctx := context.Background()
	if err := s.AddSubscriber(ctx, Subscriber{Number: "+15550001", Key: key(1)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		number string
		want   error
	}{
		{"+15550001", nil},
		{"+15550002", ErrNotFound},
		{"", ErrNotFound},
	} {
		t.Run(tc.number, func(t *testing.T) {
			got, err := s.Subscriber(ctx, tc.number)
			checkErr(t, "Subscriber", err, tc.want)
			if tc.want != nil {
				return
			}
			want := Subscriber{Number: tc.number, Key: key(1), RegisteredAt: clk.Now()}
			if !sameSubscriber(got, want) {
				t.Errorf("Subscriber = %+v, want %+v", got, want)
			}
			if got.RegisteredAt.Location() != time.UTC {
				t.Errorf("RegisteredAt in %v, want UTC", got.RegisteredAt.Location())
			}
		})
	}
}

func TestSubscribersSortedAndCounted(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if subs, err := s.Subscribers(ctx); err != nil || len(subs) != 0 {
		t.Errorf("empty store: Subscribers = %v, %v", subs, err)
	}
	numbers := []string{"+447700900001", "+15550002", "+33612345678", "+15550001"}
	for i, n := range numbers {
		if err := s.AddSubscriber(ctx, sub(n, i)); err != nil {
			t.Fatal(err)
		}
	}
	subs, err := s.Subscribers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"+15550001", "+15550002", "+33612345678", "+447700900001"}
	if len(subs) != len(want) {
		t.Fatalf("Subscribers returned %d, want %d", len(subs), len(want))
	}
	for i := range want {
		if subs[i].Number != want[i] {
			t.Errorf("Subscribers[%d] = %s, want %s", i, subs[i].Number, want[i])
		}
	}
	if n, err := s.CountSubscribers(ctx); err != nil || n != len(want) {
		t.Errorf("CountSubscribers = %d, %v; want %d", n, err, len(want))
	}
}
