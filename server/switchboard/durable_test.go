package switchboard

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/store"
)

// What the server acknowledges is in the store by the time the
// acknowledgement arrives: the hang-up's end record, the offline callee's
// missed call. Before the group commit, records were written after the
// parties were told, and a read right after the answer often missed them.
func TestAcknowledgedIsCommitted(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t, Config{})
	a, c := b.register(t, "+15551230001"), b.register(t, "+15551230002")
	off := b.register(t, "+15551230003")
	off.send(&wire.Message{Type: wire.TypeBye})
	for i := range 30 {
		id := setUp(t, a, c)
		a.send(&wire.Message{Type: wire.TypeHangup, Call: id})
		a.out.expect(t, wire.TypeHangupAck)
		cdrs, err := b.store.Calls(ctx, 1)
		if err != nil || len(cdrs) != 1 || cdrs[0].CallID != string(id) || cdrs[0].Reason != wire.ReasonHangup {
			t.Fatalf("round %d: hang-up acknowledged, record %+v %v", i, cdrs, err)
		}
		c.out.expect(t, wire.TypeEnded)

		a.send(&wire.Message{Type: wire.TypeDial, To: off.number})
		u := a.out.expect(t, wire.TypeUnavailable)
		missed, err := b.store.PendingMissed(ctx, off.number)
		if err != nil || len(missed) != i+1 || missed[i].CallID != string(u.Call) {
			t.Fatalf("round %d: unavailable acknowledged, missed calls %+v %v", i, missed, err)
		}
	}
}

// A message that needs no record still leaves after an earlier one that
// waits for its commit: a session's messages are never reordered.
func TestMessagesKeepTheirOrder(t *testing.T) {
	b := newBoard(t, Config{})
	a, c := b.register(t, "+15551230001"), b.register(t, "+15551230002")
	id := setUp(t, a, c)
	a.send(&wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: "v=0"})
	c.out.expect(t, wire.TypeSDP)
	for range 20 {
		a.send(&wire.Message{Type: wire.TypeDial, To: "+15559999999"}) // unavailable, unknown: no record
		a.send(&wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: "v=0"})
	}
	a.send(&wire.Message{Type: wire.TypeHangup, Call: id})
	a.out.expect(t, wire.TypeHangupAck)
	ended := c.out.expect(t, wire.TypeEnded)
	var last uint64
	for _, m := range append(c.out.snapshot(), ended) {
		if m.SN <= last {
			t.Fatalf("sn %d after %d", m.SN, last)
		}
		last = m.SN
	}
}

// A call cut by a crash ends at its last heartbeat, its callee gets a
// missed call if it was still ringing, and its addresses are held down.
func TestRecoverAfterCrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-time.Minute)
	for _, n := range []string{"+15551230001", "+15551230002"} {
		if err := st.AddSubscriber(ctx, store.Subscriber{Number: n, Key: make([]byte, 32), RegisteredAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.StartCall(ctx, store.CDR{CallID: "active", Caller: "+15551230001", Callee: "+15551230002", Start: t0}))
	must(st.AnswerCall(ctx, "active", t0.Add(time.Second), "10.9.0.1:40000", "10.9.0.2:40000"))
	alive := t0.Add(20 * time.Second)
	must(st.TouchOpenCalls(ctx, alive))
	must(st.StartCall(ctx, store.CDR{CallID: "ringing", Caller: "+15551230002", Callee: "+15551230001", Start: t0.Add(25 * time.Second)}))
	must(st.Close())

	b := openBoard(t, dir, Config{})
	cdrs, err := b.store.Calls(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cdrs {
		if c.Reason != store.ReasonServerRestart {
			t.Errorf("%s ended %q", c.CallID, c.Reason)
		}
		want := map[string]time.Time{"active": alive, "ringing": t0.Add(25 * time.Second)}[c.CallID]
		if !c.End.Equal(want) {
			t.Errorf("%s ended at %v, want its last sign of life %v", c.CallID, c.End, want)
		}
	}
	missed, err := b.store.PendingMissed(ctx, "+15551230001")
	if err != nil || len(missed) != 1 || missed[0].CallID != "ringing" {
		t.Errorf("missed calls after the crash: %+v %v", missed, err)
	}
	if st := b.pool.Stats(); st.HeldDown != 2 {
		t.Errorf("pool after the crash: %+v, want the dead call's 2 addresses held down", st)
	}
	for i := range 4 {
		l, err := b.pool.Acquire(fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		if l.Addr == netip.MustParseAddrPort("10.9.0.1:40000") || l.Addr == netip.MustParseAddrPort("10.9.0.2:40000") {
			t.Fatalf("the dead call's address %v was leased at once", l.Addr)
		}
	}
}

// A graceful stop releases the leases; a start within the hold-down still
// holds them.
func TestRestartHoldsRecentLeases(t *testing.T) {
	b := newBoard(t, Config{})
	a, c := b.register(t, "+15551230001"), b.register(t, "+15551230002")
	setUp(t, a, c)
	b.stop()
	b2 := openBoard(t, b.dir, Config{})
	if st := b2.pool.Stats(); st.HeldDown != 2 {
		t.Fatalf("pool after a stop and start: %+v, want 2 held down", st)
	}
}

// A call still ringing when the server stops is a missed call.
func TestShutdownWhileRingingIsMissed(t *testing.T) {
	b := newBoard(t, Config{})
	a, c := b.register(t, "+15551230001"), b.register(t, "+15551230002")
	a.send(&wire.Message{Type: wire.TypeDial, To: c.number})
	id := a.out.expect(t, wire.TypeRinging).Call
	b.Close()
	missed, err := b.store.PendingMissed(context.Background(), c.number)
	if err != nil || len(missed) != 1 || missed[0].CallID != string(id) {
		t.Fatalf("missed calls after a stop while ringing: %+v %v", missed, err)
	}
}

// The heartbeat moves an open call's last sign of life forward.
func TestHeartbeat(t *testing.T) {
	b := newBoard(t, Config{Heartbeat: 10 * time.Millisecond})
	a, c := b.register(t, "+15551230001"), b.register(t, "+15551230002")
	setUp(t, a, c)
	deadline := time.Now().Add(10 * time.Second)
	for {
		cdrs, err := b.store.Calls(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if cdrs[0].Alive.After(cdrs[0].Answer) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeat within 10s: %+v", cdrs[0])
		}
		time.Sleep(5 * time.Millisecond) // polling the store for the heartbeat's write
	}
}

func TestRecordsKeep(t *testing.T) {
	clk := &fakeNow{t: time.Now()}
	b := newBoard(t, Config{RecordsKeep: 24 * time.Hour, Now: clk.Now})
	a, c := b.register(t, "+15551230001"), b.register(t, "+15551230002")
	old := setUp(t, a, c)
	a.send(&wire.Message{Type: wire.TypeHangup, Call: old})
	a.out.expect(t, wire.TypeHangupAck)
	clk.add(25 * time.Hour)
	open := setUp(t, a, c) // younger, and open
	b.expireRecords()
	cdrs, err := b.store.Calls(context.Background(), 10)
	if err != nil || len(cdrs) != 1 || cdrs[0].CallID != string(open) {
		t.Fatalf("after expiry: %+v %v", cdrs, err)
	}
}

// Messages released together, as when a record they all waited for is
// committed, reach a transport that takes batches in one SendAll, in order,
// and are each kept for a resume.
func TestReleasedTogetherInOneBatch(t *testing.T) {
	b := newBoard(t, Config{})
	a := b.register(t, "+15551230001")
	before := len(a.out.snapshot())
	b.mu.Lock()
	s := a.conn.sess
	kept := s.history.len()
	var want []uint64
	for range 3 {
		s.sn++
		want = append(want, s.sn)
		s.outq = append(s.outq, queued{m: &wire.Message{Type: wire.TypePong, SN: s.sn}, gate: b.recs.committed})
	}
	b.deliver(s)
	b.mu.Unlock()
	a.out.mu.Lock()
	batches := a.out.batches
	a.out.mu.Unlock()
	if batches != 1 {
		t.Errorf("%d SendAll calls, want 1", batches)
	}
	got := a.out.snapshot()[before:]
	if len(got) != len(want) {
		t.Fatalf("%d messages delivered, want %d", len(got), len(want))
	}
	for i, m := range got {
		if m.SN != want[i] {
			t.Errorf("message %d has sn %d, want %d", i, m.SN, want[i])
		}
	}
	b.mu.Lock()
	if n := s.history.len() - kept; n != 3 {
		t.Errorf("%d of the 3 kept for a resume", n)
	}
	if len(s.outq) != 0 {
		t.Errorf("%d still queued", len(s.outq))
	}
	b.mu.Unlock()
}
