package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
	"github.com/dialtone/dialtone/server/store"
)

// TestFaultKillMidRegistrations: new numbers register in a burst, sharing
// commits, and the server is killed while the rest are in flight. Every
// number answered registered must be bound, to the key that registered it,
// when the data directory is opened again.
func TestFaultKillMidRegistrations(t *testing.T) {
	clients, rounds := 64, 1
	if *soak {
		clients, rounds = 256, 5
	}
	for r := range rounds {
		t.Run(fmt.Sprint("round", r), func(t *testing.T) { killMidRegistrations(t, clients) })
	}
}

func killMidRegistrations(t *testing.T, clients int) {
	dir := t.TempDir()
	srv := startChild(t, childSpec{Dir: dir, Pool: faultPool(), Heartbeat: time.Second})
	var (
		mu       sync.Mutex
		answered = map[string]ed25519.PublicKey{}
		enough   = make(chan struct{})
		once     sync.Once
		wg       sync.WaitGroup
	)
	for i := range clients {
		wg.Go(func() {
			c, err := servertest.DialErr(srv.addrs.URL)
			if err != nil {
				return // the server is gone already
			}
			defer c.Close()
			c.Number, c.Key = fmt.Sprintf("+1555900%04d", i), servertest.NewKey()
			m, err := c.LoginErr("", "")
			if err != nil || m.Type != wire.TypeRegistered {
				return
			}
			mu.Lock()
			answered[c.Number] = c.Key.Public().(ed25519.PublicKey)
			if len(answered) >= clients/4 {
				once.Do(func() { close(enough) })
			}
			mu.Unlock()
		})
	}
	select {
	case <-enough:
	case <-time.After(servertest.Wait):
		t.Fatal("too few registrations answered within the wait")
	}
	srv.kill()
	wg.Wait()

	st := openStore(t, dir)
	lost := 0
	for n, key := range answered {
		sub, err := st.Subscriber(context.Background(), n)
		switch {
		case errors.Is(err, store.ErrNotFound):
			lost++
			t.Errorf("%s was answered registered and is not bound after the kill", n)
		case err != nil:
			t.Fatal(err)
		case !bytes.Equal(sub.Key, key):
			t.Errorf("%s is bound to another key after the kill", n)
		}
	}
	bound, err := st.CountSubscribers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("registrations: %d sent, %d answered, %d bound after the kill, %d answered and lost", clients, len(answered), bound, lost)
}
