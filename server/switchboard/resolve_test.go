package switchboard

import (
	"testing"
	"time"
)

// TestResolveDoesNotTakeTheSwitchboardLock: the number DNS answers while
// signalling holds sb.mu, and answers rightly: numbers loaded from the
// store, bound since, and services are registered, a stranger is not,
// and a number in a call has its lease.
// If Resolve took sb.mu it would wait for the test to let go, which it
// does only after the answers or after the bound below, well past any
// answer's time.
func TestResolveDoesNotTakeTheSwitchboardLock(t *testing.T) {
	first := newBoard(t, Config{})
	old := first.register(t, "+15558000001")
	first.stop()
	b := openBoard(t, first.dir, Config{})
	bound := b.register(t, "+15558000002")
	setUp(t, bound, b.register(t, "+15558000003")) // a call, so bound holds a lease
	if _, err := b.AttachService("411", "directory", newOutbox()); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		number     string
		registered bool
	}{
		{old.number, true},   // from the store at New
		{bound.number, true}, // bound by this switchboard
		{"411", true},        // a service
		{"+15558000009", false},
	}
	b.mu.Lock()
	unlocked := false
	unlock := func() {
		if !unlocked {
			unlocked = true
			b.mu.Unlock()
		}
	}
	defer unlock()
	got := make(chan []Resolution, 1)
	go func() {
		var rs []Resolution
		for _, c := range cases {
			rs = append(rs, b.Resolve(c.number))
		}
		got <- rs
	}()
	var rs []Resolution
	select {
	case rs = <-got:
	case <-time.After(30 * time.Second):
		unlock()
		<-got
		t.Fatal("Resolve waited for sb.mu")
	}
	unlock()
	for i, c := range cases {
		if rs[i].Registered != c.registered {
			t.Errorf("Resolve(%s) while sb.mu is held: registered %v, want %v", c.number, rs[i].Registered, c.registered)
		}
	}
	if !rs[1].Addr.IsValid() {
		t.Errorf("Resolve(%s): no lease during its call", bound.number)
	}
}
