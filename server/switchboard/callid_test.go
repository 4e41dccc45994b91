package switchboard

import (
	"testing"
	"time"
)

// TestCallIDsGrowWithTime: a later call's ID sorts after an earlier one's
// (so the store's index on them grows at its end), and IDs made in the same
// millisecond still differ.
func TestCallIDsGrowWithTime(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	prev := newCallID(t0)
	for i := 1; i <= 1000; i++ {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		id := newCallID(at)
		if id <= prev {
			t.Fatalf("ID at +%dms %q sorts before the one a millisecond earlier %q", i, id, prev)
		}
		if same := newCallID(at); same == id {
			t.Fatalf("two IDs in one millisecond are both %q", id)
		}
		prev = id
	}
}
