package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestStartCall(t *testing.T) {
	s, clk := newStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		c    CDR
		want error
	}{
		{"ok", CDR{CallID: "c1", Caller: "+15550001", Callee: "+15550002", Start: t0}, nil},
		{"taken ID", CDR{CallID: "c1", Caller: "+15550003", Callee: "+15550004", Start: t0}, ErrExists},
		{"no ID", CDR{Caller: "+15550001", Callee: "+15550002"}, errAny},
		{"clock fills Start", CDR{CallID: "c2", Caller: "+15550001", Callee: "600"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkErr(t, "StartCall", s.StartCall(ctx, tc.c), tc.want)
		})
	}
	open, err := s.OpenCalls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 || open[0].Caller != "+15550001" || !open[1].Start.Equal(clk.Now()) ||
		!open[0].Answer.IsZero() || !open[0].End.IsZero() {
		t.Errorf("OpenCalls = %+v", open)
	}
}

// A call recorded whole at its start (an import, a call that ended at
// once) keeps every field; the usual open start leaves them empty.
func TestStartCallWhole(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	whole := CDR{CallID: "w", Caller: "+15550001", Callee: "+15550002", Start: t0,
		Answer: t0.Add(time.Second), End: t0.Add(time.Minute), Reason: "hangup",
		CallerLease: "127.77.0.2:5000", CalleeLease: "127.77.0.1:5000"}
	open := CDR{CallID: "o", Caller: "+15550001", Callee: "+15550002", Start: t0.Add(time.Hour)}
	for _, c := range []CDR{whole, open} {
		if err := s.StartCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := s.Calls(ctx, 10)
	if err != nil || len(cs) != 2 {
		t.Fatalf("Calls = %+v, %v", cs, err)
	}
	for i, want := range []CDR{open, whole} {
		want.Alive = want.Start
		got := cs[i]
		if !got.Start.Equal(want.Start) || !got.Answer.Equal(want.Answer) || !got.End.Equal(want.End) ||
			!got.Alive.Equal(want.Alive) || got.Reason != want.Reason ||
			got.CallerLease != want.CallerLease || got.CalleeLease != want.CalleeLease || got.CallID != want.CallID {
			t.Errorf("call %d = %+v; want %+v", i, got, want)
		}
	}
}

func TestCallLifecycle(t *testing.T) {
	const id = "c1"
	answer, end := t0.Add(2*time.Second), t0.Add(62*time.Second)
	type op struct {
		name string
		do   func(*Store) error
		want error
	}
	answerOp := func(at time.Time, lease string) op {
		return op{"answer", func(s *Store) error {
			return s.AnswerCall(context.Background(), id, at, lease, "127.77.0.1:5000")
		}, nil}
	}
	endOp := func(at time.Time, reason string) op {
		return op{"end", func(s *Store) error { return s.EndCall(context.Background(), id, at, reason) }, nil}
	}
	for _, tc := range []struct {
		name string
		ops  []op
		want CDR // CallID, Caller, Callee and Start are filled in
		open bool
	}{
		{"dialled", nil, CDR{}, true},
		{"answered", []op{answerOp(answer, "127.77.0.2:5000")},
			CDR{Answer: answer, CallerLease: "127.77.0.2:5000", CalleeLease: "127.77.0.1:5000"}, true},
		{"refused", []op{endOp(end, "refused")}, CDR{End: end, Reason: "refused"}, false},
		{"talked", []op{answerOp(answer, "a"), endOp(end, "hangup")},
			CDR{Answer: answer, End: end, Reason: "hangup", CallerLease: "a", CalleeLease: "127.77.0.1:5000"}, false},
		{"first end wins", []op{answerOp(answer, "a"), endOp(end, "hangup"), endOp(end.Add(time.Second), "timeout")},
			CDR{Answer: answer, End: end, Reason: "hangup", CallerLease: "a", CalleeLease: "127.77.0.1:5000"}, false},
		{"first answer wins", []op{answerOp(answer, "a"), answerOp(answer.Add(time.Second), "b")},
			CDR{Answer: answer, CallerLease: "a", CalleeLease: "127.77.0.1:5000"}, true},
		{"answer after end ignored", []op{endOp(end, "cancelled"), answerOp(answer, "a")},
			CDR{End: end, Reason: "cancelled"}, false},
		{"unknown call", []op{
			{"answer", func(s *Store) error { return s.AnswerCall(context.Background(), "nope", answer, "a", "b") }, ErrNotFound},
			{"end", func(s *Store) error { return s.EndCall(context.Background(), "nope", end, "hangup") }, ErrNotFound},
		}, CDR{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newStore(t)
			ctx := context.Background()
			base := CDR{CallID: id, Caller: "+15550001", Callee: "+15550002", Start: t0}
			if err := s.StartCall(ctx, base); err != nil {
				t.Fatal(err)
			}
			for _, o := range tc.ops {
				checkErr(t, o.name, o.do(s), o.want)
			}
			calls, err := s.Calls(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.CallID, want.Caller, want.Callee, want.Start = base.CallID, base.Caller, base.Callee, base.Start
			if len(calls) != 1 || !sameCDR(calls[0], want) {
				t.Errorf("Calls = %+v\nwant %+v", calls, want)
			}
			open, err := s.OpenCalls(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if (len(open) == 1) != tc.open {
				t.Errorf("OpenCalls = %+v, want open %v", open, tc.open)
			}
		})
	}
}

func sameCDR(a, b CDR) bool {
	return a.CallID == b.CallID && a.Caller == b.Caller && a.Callee == b.Callee &&
		a.Start.Equal(b.Start) && a.Answer.Equal(b.Answer) && a.End.Equal(b.End) &&
		a.Reason == b.Reason && a.CallerLease == b.CallerLease && a.CalleeLease == b.CalleeLease
}

func TestCallsNewestFirst(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	// Started out of order, to show the order comes from Start.
	for _, i := range []int{2, 0, 4, 1, 3} {
		c := CDR{CallID: fmt.Sprintf("c%d", i), Caller: "+1", Callee: "+2", Start: t0.Add(time.Duration(i) * time.Minute)}
		if err := s.StartCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		limit int
		want  []string
		err   error
	}{
		{1, []string{"c4"}, nil},
		{3, []string{"c4", "c3", "c2"}, nil},
		{10, []string{"c4", "c3", "c2", "c1", "c0"}, nil},
		{0, nil, errAny},
		{-1, nil, errAny},
	} {
		t.Run(fmt.Sprint(tc.limit), func(t *testing.T) {
			calls, err := s.Calls(ctx, tc.limit)
			checkErr(t, "Calls", err, tc.err)
			if len(calls) != len(tc.want) {
				t.Fatalf("Calls(%d) returned %d, want %d", tc.limit, len(calls), len(tc.want))
			}
			for i := range calls {
				if calls[i].CallID != tc.want[i] {
					t.Errorf("Calls(%d)[%d] = %s, want %s", tc.limit, i, calls[i].CallID, tc.want[i])
				}
			}
		})
	}
}

// TestOpenCallsAfterRestart is the server's start-up sweep: calls left open by
// a crash are found and ended with ReasonServerRestart.
func TestOpenCallsAfterRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := s.StartCall(ctx, CDR{CallID: fmt.Sprint(i), Caller: "+1", Callee: "+2", Start: t0.Add(time.Duration(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.EndCall(ctx, "1", t0.Add(time.Minute), "hangup"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	clk := newClock()
	clk.Advance(time.Hour)
	s = openStore(t, dir, WithClock(clk.Now))
	open, err := s.OpenCalls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 || open[0].CallID != "0" || open[1].CallID != "2" {
		t.Fatalf("OpenCalls = %+v, want 0 and 2", open)
	}
	for _, c := range open {
		if err := s.EndCall(ctx, c.CallID, time.Time{}, ReasonServerRestart); err != nil {
			t.Fatal(err)
		}
	}
	if open, err := s.OpenCalls(ctx); err != nil || len(open) != 0 {
		t.Errorf("OpenCalls after the sweep = %+v, %v", open, err)
	}
	calls, err := s.Calls(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if c.CallID != "1" && (c.Reason != ReasonServerRestart || !c.End.Equal(clk.Now())) {
			t.Errorf("call %s after the sweep: %+v", c.CallID, c)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    CDR
		want time.Duration
	}{
		{"unanswered", CDR{Start: t0, End: t0.Add(time.Minute)}, 0},
		{"still talking", CDR{Start: t0, Answer: t0.Add(time.Second)}, 0},
		{"talked", CDR{Start: t0, Answer: t0.Add(time.Second), End: t0.Add(time.Minute)}, 59 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Duration(); got != tc.want {
				t.Errorf("Duration = %v, want %v", got, tc.want)
			}
		})
	}
}
