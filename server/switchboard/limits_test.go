package switchboard

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/number"
)

func TestSourceKey(t *testing.T) {
	for _, tc := range []struct{ remote, want string }{
		{"203.0.113.7:5000", "203.0.113.7"},
		{"[::ffff:203.0.113.7]:5000", "203.0.113.7"},
		{"[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2::1%eth0]:443", "2001:db8:1:2::/64"},
		{"service 600", "service 600"},
	} {
		if got := sourceKey(tc.remote); got != tc.want {
			t.Errorf("sourceKey(%q) = %q, want %q", tc.remote, got, tc.want)
		}
	}
}

// TestDialRateRefills: a bucket spent in a burst gives one dial back per
// minute/limit, and idle buckets are swept once there are many.
func TestDialRateRefills(t *testing.T) {
	cfg := DialLimits{PairPerMinute: 2, SourcePerMinute: 100}
	cfg.validate()
	l := newLimits(cfg)
	s := &session{number: "+15550100001", source: "203.0.113.7"}
	to := number.Number("+15550100002")
	t0 := time.Unix(1_000_000, 0)
	for i, tc := range []struct {
		at     time.Duration
		admits bool
	}{{0, true}, {time.Second, true}, {2 * time.Second, false}, {29 * time.Second, false}, {31 * time.Second, true}, {32 * time.Second, false}} {
		if got := l.admitDial(s, to, t0.Add(tc.at)) == ""; got != tc.admits {
			t.Fatalf("dial %d at +%v admitted %v, want %v", i, tc.at, got, tc.admits)
		}
	}
	// Many sources, each dialling once: once there are sweepAbove buckets,
	// those full again are forgotten (at most once a minute).
	cfg = DialLimits{PairPerMinute: 10 * sweepAbove}
	cfg.validate()
	l = newLimits(cfg)
	for i := range sweepAbove {
		l.admitDial(&session{number: "+15550100001", source: time.Duration(i).String()}, to, t0)
	}
	if n := len(l.sources); n != sweepAbove {
		t.Fatalf("%d source buckets, want %d", n, sweepAbove)
	}
	l.admitDial(s, to, t0.Add(2*time.Minute))
	if n := len(l.sources) + len(l.pairs); n != 2 {
		t.Fatalf("%d buckets after the sweep, want only the last dial's two", n)
	}
}
