package switchboard

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// The probe, scaled down: pairs of numbers, each caller sending its idle
// callee SDP offers of 31 KB. Before the history was bounded in bytes and SDP
// replaced, the callees' histories held every offer (pairs × offers × 31 KB).
func TestHistoryProbeMemory(t *testing.T) {
	const pairs, offers = 8, 200
	b := newBoard(t, Config{})
	sdp := "v=0\r\n" + strings.Repeat("a=x-pad:0123456789abcdef0123456789abcdef\r\n", 31<<10/42)
	var parties []*party
	var ids []wire.CallID
	for i := range pairs {
		a := b.register(t, fmt.Sprintf("+1555100%04d", i))
		c := b.register(t, fmt.Sprintf("+1555200%04d", i))
		c.out.discard = true
		ids = append(ids, setUp(t, a, c))
		parties = append(parties, a, c)
	}
	before := heapInUse()
	for i := range pairs {
		a := parties[2*i]
		for j := range offers {
			// Each its own allocation, as decoding from the wire makes it.
			a.send(&wire.Message{Type: wire.TypeSDP, Call: ids[i], SDPType: wire.SDPOffer, SDP: sdp + fmt.Sprint(j)})
		}
	}
	grew := int64(heapInUse()) - int64(before)
	st := b.Stats()
	t.Logf("%d pairs × %d offers of %d KB: heap grew %.1f MiB; histories hold %.1f KiB",
		pairs, offers, len(sdp)>>10, float64(grew)/(1<<20), float64(st.HistoryBytes)/(1<<10))
	for i := range pairs {
		if got := parties[2*i+1].out.sdps; got != offers {
			t.Fatalf("callee %d got %d offers, want %d", i, got, offers)
		}
	}
	// One offer per callee is what a resume needs; allow it and a little.
	if limit := pairs * (len(sdp) + 4<<10); st.HistoryBytes > limit {
		t.Errorf("histories hold %d bytes, want at most %d", st.HistoryBytes, limit)
	}
	if grew > 8<<20 {
		t.Errorf("heap grew %d MiB under the probe; the histories pin what they should not", grew>>20)
	}
	runtime.KeepAlive(parties)
}

// fakeNow is a settable clock for the switchboard.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeNow) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeNow) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestHistoryBounds(t *testing.T) {
	big := strings.Repeat("x", 8<<10)
	for _, tc := range []struct {
		name string
		cfg  Config
		// feed sends the callee's history its messages
		feed func(t *testing.T, b *board, clk *fakeNow, a *party, id wire.CallID)
		// kept is how many SDP and ICE messages stay; lost, whether a
		// resume from before them fails
		kept int
		lost bool
	}{
		{"newer SDP replaces older", Config{}, func(t *testing.T, b *board, _ *fakeNow, a *party, id wire.CallID) {
			for range 10 {
				a.send(&wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: big})
			}
		}, 1, false},
		{"ICE stays", Config{}, func(t *testing.T, b *board, _ *fakeNow, a *party, id wire.CallID) {
			for i := range 10 {
				a.send(&wire.Message{Type: wire.TypeICE, Call: id, Candidate: &wire.Candidate{Candidate: fmt.Sprint("candidate:", i)}})
			}
		}, 10, false},
		{"bytes per session", Config{MaxHistoryBytes: 6 * (historyOverhead + 1024)}, func(t *testing.T, b *board, _ *fakeNow, a *party, id wire.CallID) {
			for range 10 {
				a.send(&wire.Message{Type: wire.TypeICE, Call: id, Candidate: &wire.Candidate{Candidate: strings.Repeat("c", 1000)}})
			}
		}, 3, true},
		{"bytes in total", Config{MaxHistoryTotal: 8 << 10}, func(t *testing.T, b *board, _ *fakeNow, a *party, id wire.CallID) {
			a.send(&wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: big})
		}, 0, true},
		{"age, on the timer", Config{KeepHistory: time.Minute}, func(t *testing.T, b *board, clk *fakeNow, a *party, id wire.CallID) {
			a.send(&wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: big})
			clk.add(2 * time.Minute)
			b.trimHistories()
		}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeNow{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
			tc.cfg.Now = clk.Now
			b := newBoard(t, tc.cfg)
			a, c := b.register(t, "+15551230001"), b.register(t, "+15551230002")
			id := setUp(t, a, c)
			b.mu.Lock()
			lastSN := c.conn.sess.sn // the client has everything so far
			b.mu.Unlock()
			tc.feed(t, b, clk, a, id)
			c.conn.Disconnect()
			reg := c.login(t, b, c.reg.Session, lastSN)
			if reg.Resumed == tc.lost {
				t.Fatalf("resumed %v, want %v", reg.Resumed, !tc.lost)
			}
			if tc.lost {
				// The old session's call is over for both.
				if m := a.out.expect(t, wire.TypeEnded); m.Reason != wire.ReasonPeerLost {
					t.Fatalf("caller heard %s %s", m.Type, m.Reason)
				}
				return
			}
			// Mark the end of the replay with a message sent after it.
			a.send(&wire.Message{Type: wire.TypeHangup, Call: id})
			c.out.expect(t, wire.TypeEnded)
			media := 0
			for _, m := range c.out.snapshot() {
				if m.Type == wire.TypeSDP || m.Type == wire.TypeICE {
					media++
				}
			}
			if media != tc.kept {
				t.Fatalf("replayed %d media messages, want %d", media, tc.kept)
			}
		})
	}
}

// When a call ends, its SDP and ICE leave the history: a resume has no use
// for them, and they were the bulk of it.
func TestHistoryForgetsEndedCallsMedia(t *testing.T) {
	b := newBoard(t, Config{})
	a, c := b.register(t, "+15551230001"), b.register(t, "+15551230002")
	id := setUp(t, a, c)
	a.send(&wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: strings.Repeat("x", 30<<10)})
	if st := b.Stats(); st.HistoryBytes < 30<<10 {
		t.Fatalf("the offer is not kept: %d bytes", st.HistoryBytes)
	}
	a.send(&wire.Message{Type: wire.TypeHangup, Call: id})
	c.out.expect(t, wire.TypeEnded)
	if st := b.Stats(); st.HistoryBytes > 8<<10 {
		t.Fatalf("after the call ended the histories still hold %d bytes", st.HistoryBytes)
	}
}

// An idle session's history goes on the timer, not only when the next
// message comes.
func TestHistoryTrimmedOnTimer(t *testing.T) {
	b := newBoard(t, Config{KeepHistory: 100 * time.Millisecond})
	a, c := b.register(t, "+15551230001"), b.register(t, "+15551230002")
	id := setUp(t, a, c)
	a.send(&wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: strings.Repeat("x", 30<<10)})
	if st := b.Stats(); st.HistoryBytes < 30<<10 {
		t.Fatalf("the offer is not kept: %d bytes", st.HistoryBytes)
	}
	deadline := time.Now().Add(10 * time.Second)
	for b.Stats().HistoryBytes != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("histories still hold %d bytes 10s after they expired", b.Stats().HistoryBytes)
		}
		time.Sleep(10 * time.Millisecond) // polling for the trim timer's work
	}
}

// TestRingKeepsOrder pushes and drops across the ring's wrap and growth and
// checks it against a plain slice.
func TestRingKeepsOrder(t *testing.T) {
	var r ring
	var want []uint64
	sn := uint64(0)
	for step, op := range []struct{ push, drop int }{{3, 0}, {2, 4}, {9, 1}, {0, 5}, {12, 0}, {1, 14}, {6, 2}, {0, 4}} {
		for range op.push {
			sn++
			r.push(sent{sn: sn})
			want = append(want, sn)
		}
		r.dropFront(op.drop)
		want = want[op.drop:]
		if r.len() != len(want) {
			t.Fatalf("step %d: len %d, want %d", step, r.len(), len(want))
		}
		for i, w := range want {
			if got := r.at(i).sn; got != w {
				t.Fatalf("step %d: entry %d is %d, want %d", step, i, got, w)
			}
		}
		if len(want) == 0 && r.buf != nil {
			t.Fatalf("step %d: an empty ring holds its buffer", step)
		}
	}
}
