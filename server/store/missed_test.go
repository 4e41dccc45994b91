package store

import (
	"context"
	"testing"
	"time"
)

func TestAddMissed(t *testing.T) {
	s, clk := newStore(t)
	ctx := context.Background()
	if err := s.AddSubscriber(ctx, sub("+15550001", 1)); err != nil {
		t.Fatal(err)
	}
	var last int64
	for _, tc := range []struct {
		name string
		m    MissedCall
		want error
	}{
		{"ok", MissedCall{To: "+15550001", From: "+15550002", At: t0, CallID: "c1"}, nil},
		{"clock fills At", MissedCall{To: "+15550001", From: "+15550002"}, nil},
		{"unknown callee", MissedCall{To: "+15550009", From: "+15550002"}, ErrNotFound},
		{"no callee", MissedCall{From: "+15550002"}, errAny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := s.AddMissed(ctx, tc.m)
			checkErr(t, "AddMissed", err, tc.want)
			if err == nil && id <= last {
				t.Errorf("ID %d does not follow %d", id, last)
			}
			if err == nil {
				last = id
			}
		})
	}
	ms, err := s.PendingMissed(ctx, "+15550001")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].CallID != "c1" || !ms[1].At.Equal(clk.Now()) || ms[1].At.Location() != time.UTC {
		t.Errorf("PendingMissed = %+v", ms)
	}
}

func TestAckMissed(t *testing.T) {
	const alice, bob = "+15550001", "+15550002"
	for _, tc := range []struct {
		name  string
		ack   string
		upTo  int // index into the IDs added below; -1 means ID 0
		alice []int
		bob   []int
	}{
		{"none", alice, -1, []int{0, 2, 4}, []int{1, 3}},
		{"first", alice, 0, []int{2, 4}, []int{1, 3}},
		{"up to another number's ID", alice, 3, []int{4}, []int{1, 3}},
		{"all", alice, 4, nil, []int{1, 3}},
		{"other number", bob, 4, []int{0, 2, 4}, nil},
		{"unknown number", "+15550009", 4, []int{0, 2, 4}, []int{1, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newStore(t)
			ctx := context.Background()
			for i, n := range []string{alice, bob} {
				if err := s.AddSubscriber(ctx, sub(n, i)); err != nil {
					t.Fatal(err)
				}
			}
			var ids []int64
			for i := range 5 {
				to := []string{alice, bob}[i%2]
				id, err := s.AddMissed(ctx, MissedCall{To: to, From: "+15550003", At: t0.Add(time.Duration(i) * time.Second)})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			var upTo int64
			if tc.upTo >= 0 {
				upTo = ids[tc.upTo]
			}
			if err := s.AckMissed(ctx, tc.ack, upTo); err != nil {
				t.Fatal(err)
			}
			for _, want := range []struct {
				number string
				idx    []int
			}{{alice, tc.alice}, {bob, tc.bob}} {
				ms, err := s.PendingMissed(ctx, want.number)
				if err != nil {
					t.Fatal(err)
				}
				if len(ms) != len(want.idx) {
					t.Fatalf("%s has %d pending, want %d: %+v", want.number, len(ms), len(want.idx), ms)
				}
				for i, m := range ms {
					if m.ID != ids[want.idx[i]] || m.To != want.number {
						t.Errorf("%s pending[%d] = %+v, want ID %d", want.number, i, m, ids[want.idx[i]])
					}
				}
			}
		})
	}
}

func TestMissedBounded(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if err := s.AddSubscriber(ctx, sub("+15550001", 1)); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for range MaxMissed + 5 {
		id, err := s.AddMissed(ctx, MissedCall{To: "+15550001", From: "+15550002"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ms, err := s.PendingMissed(ctx, "+15550001")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != MaxMissed || ms[0].ID != ids[5] || ms[len(ms)-1].ID != ids[len(ids)-1] {
		t.Errorf("PendingMissed kept %d, from %d to %d; want the newest %d, oldest first",
			len(ms), ms[0].ID, ms[len(ms)-1].ID, MaxMissed)
	}
	var stored int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM missed_calls`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != MaxMissed {
		t.Errorf("%d rows stored, want %d", stored, MaxMissed)
	}
}

func TestMissedIDsNotReused(t *testing.T) {
	// AUTOINCREMENT: after everything is acknowledged the next ID is still
	// higher, so a late ack with an old ID can never remove a new record.
	s, _ := newStore(t)
	ctx := context.Background()
	if err := s.AddSubscriber(ctx, sub("+15550001", 1)); err != nil {
		t.Fatal(err)
	}
	first, err := s.AddMissed(ctx, MissedCall{To: "+15550001"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AckMissed(ctx, "+15550001", first); err != nil {
		t.Fatal(err)
	}
	next, err := s.AddMissed(ctx, MissedCall{To: "+15550001"})
	if err != nil {
		t.Fatal(err)
	}
	if next <= first {
		t.Errorf("ID %d reused after %d was deleted", next, first)
	}
}
