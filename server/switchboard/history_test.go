package switchboard

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
)

func TestTrimHistory(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var h []sent
	for i := range 10 {
		h = append(h, sent{&wire.Message{SN: uint64(i + 1)}, t0.Add(time.Duration(i) * time.Second)})
	}
	sns := func(h []sent) []uint64 {
		var out []uint64
		for _, s := range h {
			out = append(out, s.m.SN)
		}
		return out
	}
	// Older than the cutoff goes.
	got := trimHistory(append([]sent(nil), h...), t0.Add(7*time.Second), 100)
	if s := sns(got); len(s) != 3 || s[0] != 8 {
		t.Fatalf("by age: %v", s)
	}
	// More than keep: the newest keep stay.
	got = trimHistory(append([]sent(nil), h...), t0, 4)
	if s := sns(got); len(s) != 4 || s[0] != 7 || s[3] != 10 {
		t.Fatalf("by count: %v", s)
	}
	// Nothing to drop: unchanged.
	if got := trimHistory(h, t0, 100); len(got) != 10 {
		t.Fatalf("kept %d of 10", len(got))
	}
}
