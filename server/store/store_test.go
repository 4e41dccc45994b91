package store

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// t0 is the fake clock's start; not UTC on purpose, to check times come back
// in UTC.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func openStore(t testing.TB, dir string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func newStore(t testing.TB, opts ...Option) (*Store, *fakeClock) {
	t.Helper()
	clk := newClock()
	return openStore(t, t.TempDir(), append([]Option{WithClock(clk.Now)}, opts...)...), clk
}

// key returns a distinct valid public key for n.
func key(n int) ed25519.PublicKey {
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, fmt.Sprint(n))
	return ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
}

func sub(number string, n int) Subscriber {
	return Subscriber{Number: number, Key: key(n), RegisteredAt: t0}
}

func TestOpenCreatesPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "data")
	openStore(t, dir)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("data dir mode = %v, want 0700", got)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestOpenOddPath(t *testing.T) {
	// Characters that mean something in a URI must reach the file system
	// as they are.
	dir := filepath.Join(t.TempDir(), "da ta?x=1#%20")
	s := openStore(t, dir)
	if err := s.AddSubscriber(context.Background(), sub("+15550001", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestOpenEmptyDir(t *testing.T) {
	if _, err := Open(context.Background(), ""); err == nil {
		t.Error("Open with no directory succeeded")
	}
}

func TestPragmas(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
		{"user_version", fmt.Sprint(len(migrations))},
	} {
		var got string
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("%s: %v", tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("%s = %q, want %q", tc.pragma, got, tc.want)
		}
	}
	if _, err := s.r.ExecContext(ctx, `DELETE FROM subscribers`); err == nil {
		t.Error("reader pool could write")
	}
}

func TestOpenNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(context.Background(), dir); err == nil {
		s.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
}

// TestRestart writes one of everything, closes, opens again and reads it all
// back.
func TestRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clk := newClock()
	s, err := Open(ctx, dir, WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := sub("+15550001", 1), sub("+15550002", 2)
	for _, x := range []Subscriber{bob, alice} {
		if err := s.AddSubscriber(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	code, err := s.CreateInvite(ctx, "+15550003", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	missedID, err := s.AddMissed(ctx, MissedCall{To: alice.Number, From: bob.Number, At: t0, CallID: "c0"})
	if err != nil {
		t.Fatal(err)
	}
	ended := CDR{CallID: "c1", Caller: alice.Number, Callee: bob.Number, Start: t0}
	open := CDR{CallID: "c2", Caller: bob.Number, Callee: alice.Number, Start: t0.Add(time.Minute)}
	for _, c := range []CDR{ended, open} {
		if err := s.StartCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AnswerCall(ctx, "c1", t0.Add(time.Second), "127.77.0.2:4000", "127.77.0.1:4000"); err != nil {
		t.Fatal(err)
	}
	if err := s.EndCall(ctx, "c1", t0.Add(time.Minute), "hangup"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, dir, WithClock(clk.Now))
	subs, err := s.Subscribers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 || !sameSubscriber(subs[0], alice) || !sameSubscriber(subs[1], bob) {
		t.Errorf("subscribers after restart = %+v", subs)
	}
	ms, err := s.PendingMissed(ctx, alice.Number)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].ID != missedID || ms[0].CallID != "c0" || !ms[0].At.Equal(t0) {
		t.Errorf("missed after restart = %+v", ms)
	}
	calls, err := s.Calls(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0].CallID != "c2" || calls[1].Duration() != time.Minute-time.Second ||
		calls[1].CallerLease != "127.77.0.2:4000" || calls[1].Reason != "hangup" {
		t.Errorf("calls after restart = %+v", calls)
	}
	openCalls, err := s.OpenCalls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(openCalls) != 1 || openCalls[0].CallID != "c2" {
		t.Errorf("open calls after restart = %+v", openCalls)
	}
	if err := s.RedeemInvite(ctx, "+15550003", code, Subscriber{Key: key(3)}); err != nil {
		t.Errorf("invite after restart: %v", err)
	}
}

func sameSubscriber(a, b Subscriber) bool {
	return a.Number == b.Number && a.Key.Equal(b.Key) && a.RegisteredAt.Equal(b.RegisteredAt)
}

// TestTwoInstances stands in for `dialtone server invite` writing while the
// server runs: two Stores on one directory see each other's writes.
func TestTwoInstances(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	server := openStore(t, dir)
	operator := openStore(t, dir)

	code, err := operator.CreateInvite(ctx, "+15550001", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := server.RedeemInvite(ctx, "+15550001", code, Subscriber{Key: key(1)}); err != nil {
		t.Fatalf("server redeeming the operator's invite: %v", err)
	}
	if _, err := operator.Subscriber(ctx, "+15550001"); err != nil {
		t.Errorf("operator reading the server's subscriber: %v", err)
	}
	if _, err := operator.CreateInvite(ctx, "+15550001", time.Hour); !errors.Is(err, ErrExists) {
		t.Errorf("invite for a number bound by the other instance: %v, want ErrExists", err)
	}

	// Both write at once; the busy timeout settles who waits.
	var wg sync.WaitGroup
	for i, st := range []*Store{server, operator} {
		wg.Go(func() {
			for j := range 20 {
				if err := st.AddSubscriber(ctx, sub(fmt.Sprintf("+1666%d%03d", i, j), j)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, st := range []*Store{server, operator} {
		if n, err := st.CountSubscribers(ctx); err != nil || n != 41 {
			t.Errorf("CountSubscribers = %d, %v; want 41", n, err)
		}
	}
}

func TestConcurrentWriters(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	const workers, each = 8, 4
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n := fmt.Sprintf("+1555%d%03d", w, i)
				if err := s.AddSubscriber(ctx, sub(n, i)); err != nil {
					t.Error(err)
					return
				}
				id := fmt.Sprintf("call-%d-%d", w, i)
				if err := s.StartCall(ctx, CDR{CallID: id, Caller: n, Callee: "+1"}); err != nil {
					t.Error(err)
					return
				}
				if err := s.EndCall(ctx, id, time.Time{}, "hangup"); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.AddMissed(ctx, MissedCall{To: n, From: "+1"}); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Subscribers(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n, err := s.CountSubscribers(ctx); err != nil || n != workers*each {
		t.Errorf("CountSubscribers = %d, %v; want %d", n, err, workers*each)
	}
	if open, err := s.OpenCalls(ctx); err != nil || len(open) != 0 {
		t.Errorf("OpenCalls = %v, %v; want none", open, err)
	}
}

func TestCanceledContext(t *testing.T) {
	s, _ := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.AddSubscriber(ctx, sub("+15550001", 1)); err == nil {
		t.Error("AddSubscriber with a canceled context succeeded")
	}
	if n, err := s.CountSubscribers(context.Background()); err != nil || n != 0 {
		t.Errorf("CountSubscribers = %d, %v; want 0", n, err)
	}
}

// The writer leaves checkpoints to their own connection, and they happen:
// the WAL is copied back while the writer goes on.
func TestCheckpointsOffTheWriter(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	var auto int
	if err := s.w.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("writer's wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	if err := s.StartCall(ctx, CDR{CallID: "c", Caller: "+15550001", Callee: "+15550002", Start: t0}); err != nil {
		t.Fatal(err)
	}
	var busy, frames, done int
	if err := s.ckpt.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done); err != nil || frames == 0 || done != frames {
		t.Fatalf("checkpoint: busy %d, %d frames, %d copied, %v", busy, frames, done, err)
	}
}
