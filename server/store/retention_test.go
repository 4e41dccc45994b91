package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestTouchOpenCalls(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for _, id := range []string{"open", "ended"} {
		if err := s.StartCall(ctx, CDR{CallID: id, Caller: "+15550001", Callee: "+15550002", Start: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AnswerCall(ctx, "open", t0.Add(time.Second), "a", "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.EndCall(ctx, "ended", t0.Add(2*time.Second), "hangup"); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchOpenCalls(ctx, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	calls, err := s.Calls(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		want := t0.Add(time.Minute)
		if c.CallID == "ended" {
			want = t0 // touched only at its start
		}
		if !c.Alive.Equal(want) {
			t.Errorf("%s alive %v, want %v", c.CallID, c.Alive, want)
		}
	}
}

func TestCallsEndedSince(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for i, end := range []time.Duration{time.Second, 20 * time.Second, 30 * time.Second} {
		id := fmt.Sprint("c", i)
		if err := s.StartCall(ctx, CDR{CallID: id, Caller: "+15550001", Callee: "+15550002", Start: t0}); err != nil {
			t.Fatal(err)
		}
		if i > 0 { // c0 was never answered: it held no lease
			if err := s.AnswerCall(ctx, id, t0, "10.0.0.1:1", "10.0.0.2:1"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.EndCall(ctx, id, t0.Add(end), "hangup"); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.CallsEndedSince(ctx, t0.Add(time.Second))
	if err != nil || len(got) != 2 || got[0].CallID != "c1" || got[1].CallID != "c2" {
		t.Fatalf("CallsEndedSince = %+v, %v", got, err)
	}
}

func TestDeleteCallsBefore(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for i := range 5 {
		id := fmt.Sprint("c", i)
		if err := s.StartCall(ctx, CDR{CallID: id, Caller: "+15550001", Callee: "+15550002", Start: t0.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if i != 1 { // c1 is still open: it is never deleted
			if err := s.EndCall(ctx, id, t0.Add(time.Duration(i)*time.Hour+time.Minute), "hangup"); err != nil {
				t.Fatal(err)
			}
		}
	}
	cut := t0.Add(3 * time.Hour) // c0, c1 (open), c2 started before
	if n, err := s.DeleteCallsBefore(ctx, cut, 1); err != nil || n != 1 {
		t.Fatalf("first pass deleted %d, %v; want 1 (the limit)", n, err)
	}
	if n, err := s.DeleteCallsBefore(ctx, cut, 10); err != nil || n != 1 {
		t.Fatalf("second pass deleted %d, %v; want 1", n, err)
	}
	calls, err := s.Calls(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range calls {
		ids = append(ids, c.CallID)
	}
	if fmt.Sprint(ids) != "[c4 c3 c1]" {
		t.Fatalf("left %v, want [c4 c3 c1]", ids)
	}
}
