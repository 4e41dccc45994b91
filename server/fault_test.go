package server_test

// The fault-injection suite: the server runs in a child process (this test
// binary, re-run as TestFaultChild), is killed with SIGKILL mid-call and
// mid-burst, and is restarted on the same data directory; what survived is
// counted against what the server acknowledged before it died.

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server"
	"github.com/dialtone/dialtone/server/servertest"
	"github.com/dialtone/dialtone/server/store"
	"github.com/dialtone/dialtone/server/switchboard"
)

var soak = flag.Bool("soak", false, "run the fault-injection suite at full size (make soak)")

const faultEnv = "DIALTONE_FAULT_CHILD"

// childSpec is what the child server is started with.
type childSpec struct {
	Dir       string
	Pool      string
	Heartbeat time.Duration
}

// TestFaultChild is the server process of the fault-injection tests; it
// does nothing in a normal run.
func TestFaultChild(t *testing.T) {
	env := os.Getenv(faultEnv)
	if env == "" {
		t.Skip("the server process of the fault-injection tests")
	}
	var spec childSpec
	if err := json.Unmarshal([]byte(env), &spec); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, server.Config{Listen: "127.0.0.1:0", Relay: "127.0.0.1:0", DataDir: spec.Dir,
		Pools: []netip.Prefix{netip.MustParsePrefix(spec.Pool)}, PortLo: 40000, PortHi: 40009,
		Heartbeat: spec.Heartbeat, MaxConnsPerIP: 4096,
		// One dialler dials the offline number 20 times, and every client
		// comes from 127.0.0.1: the dial limits would refuse the burst.
		DialLimits: switchboard.DialLimits{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(srv.Addrs())
	fmt.Fprintf(os.Stdout, "ADDRS %s\n", b)
	if err := srv.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// child is one server process.
type child struct {
	cmd   *exec.Cmd
	addrs server.Addrs
	done  chan struct{}
}

func startChild(t *testing.T, spec childSpec) *child {
	t.Helper()
	env, _ := json.Marshal(spec)
	cmd := exec.Command(os.Args[0], "-test.run=^TestFaultChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), faultEnv+"="+string(env))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	addrs := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ADDRS "); ok {
				addrs <- a
			}
		}
		close(addrs)
	}()
	go func() { cmd.Wait(); close(c.done) }()
	t.Cleanup(func() { c.kill() })
	select {
	case a, ok := <-addrs:
		if !ok || json.Unmarshal([]byte(a), &c.addrs) != nil {
			t.Fatalf("the server process did not start (%q)", a)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server process did not start within 30s")
	}
	return c
}

// kill ends the process with SIGKILL and waits for it.
func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop ends the process gracefully and waits for it.
func (c *child) stop(t *testing.T) {
	t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the server process did not stop within 20s")
	}
}

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func faultPool() string {
	return fmt.Sprintf("127.%d.%d.0/24", 100+time.Now().Nanosecond()%100, os.Getpid()%256)
}

// acks counts acknowledgements as they arrive, so the test can kill the
// server mid-burst: once the first of each kind has come and the rest are in
// flight.
type acks struct {
	mu     sync.Mutex
	hung   map[wire.CallID]bool
	missed map[wire.CallID]bool
	enough chan struct{}
	at     int
	closed bool
}

func newAcks(at int) *acks {
	return &acks{hung: map[wire.CallID]bool{}, missed: map[wire.CallID]bool{}, enough: make(chan struct{}), at: at}
}

func (a *acks) add(kind map[wire.CallID]bool, id wire.CallID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	kind[id] = true
	if !a.closed && len(a.hung) > 0 && len(a.missed) > 0 && len(a.hung)+len(a.missed) >= a.at {
		a.closed = true
		close(a.enough)
	}
}

// The burst: hang-ups of many active calls and dials to an offline number,
// all in flight when the server is killed. Every hang-up acknowledged must
// have its end record; every unavailable acknowledged, its missed call; the
// restarted pool must hold the dead calls' addresses down; and a call cut by
// the kill must end at its last heartbeat, before the kill, not at the
// restart.
func TestFaultKillMidBurst(t *testing.T) {
	pairs, offline, rounds := 50, 20, 1
	if *soak {
		pairs, offline, rounds = 200, 100, 5
	}
	for r := range rounds {
		t.Run(fmt.Sprint("round", r), func(t *testing.T) { killMidBurst(t, pairs, offline) })
	}
}

func killMidBurst(t *testing.T, pairs, offline int) {
	dir := t.TempDir()
	spec := childSpec{Dir: dir, Pool: faultPool(), Heartbeat: 100 * time.Millisecond}
	srv := startChild(t, spec)
	url := srv.addrs.URL
	// Calls that stay up through the kill: they must end at their last
	// heartbeat.
	const up = 5
	var held []wire.CallID
	for i := range up {
		a := servertest.Register(t, url, fmt.Sprintf("+1555700%04d", i))
		b := servertest.Register(t, url, fmt.Sprintf("+1555800%04d", i))
		id, _, _ := setUp(t, a, b)
		held = append(held, id)
	}
	var callers, callees []*servertest.Client
	ids := make([]wire.CallID, pairs)
	for i := range pairs {
		a := servertest.Register(t, url, fmt.Sprintf("+1555300%04d", i))
		b := servertest.Register(t, url, fmt.Sprintf("+1555400%04d", i))
		callers, callees = append(callers, a), append(callees, b)
		ids[i], _, _ = setUp(t, a, b)
	}
	off := servertest.Register(t, url, "+15555000000")
	off.Send(&wire.Message{Type: wire.TypeBye})
	if err := off.WaitClosed(); err != nil {
		t.Fatal(err)
	}
	dialler := servertest.Register(t, url, "+15555000001")
	// Let a heartbeat pass over the calls, so their last sign of life is
	// after their answer.
	st := openStore(t, dir)
	waitAlive(t, st, held[0])

	ack := newAcks(2)
	hung, missed := ack.hung, ack.missed
	var wg sync.WaitGroup
	for i, a := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.SendErr(&wire.Message{Type: wire.TypeHangup, Call: ids[i]})
			if m, err := a.ExpectErr(wire.TypeHangupAck, ids[i]); err == nil {
				ack.add(hung, m.Call)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range offline {
			dialler.SendErr(&wire.Message{Type: wire.TypeDial, To: off.Number})
		}
		for range offline {
			m, err := dialler.ExpectErr(wire.TypeUnavailable, "")
			if err != nil {
				return
			}
			if m.Reason == wire.ReasonOffline {
				ack.add(missed, m.Call)
			}
		}
	}()
	select {
	case <-ack.enough:
	case <-time.After(servertest.Wait):
		t.Fatal("too few acknowledgements within the wait")
	}
	killed := time.Now()
	srv.kill()
	wg.Wait()

	// Restart on the same directory; the first call gets fresh addresses.
	srv2 := startChild(t, spec)
	x := servertest.Register(t, srv2.addrs.URL, "+15556000001")
	y := servertest.Register(t, srv2.addrs.URL, "+15556000002")
	fresh, ax, _ := setUp(t, x, y)
	srv2.stop(t)

	cdrs, err := st.Calls(context.Background(), 10*pairs)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]store.CDR{}
	dead := map[string]bool{}
	for _, c := range cdrs {
		byID[c.CallID] = c
		if c.CallID != string(fresh) {
			dead[c.CallerLease], dead[c.CalleeLease] = true, true
		}
	}
	if dead[ax.LocalLease] || dead[ax.RemoteLease] {
		t.Errorf("the first call after the restart got a dead call's address: %s, %s", ax.LocalLease, ax.RemoteLease)
	}
	lost, cut := 0, 0
	beat := held[0] // had a heartbeat after its answer
	for _, id := range append(ids, held...) {
		c := byID[string(id)]
		switch {
		case hung[id] && c.Reason != wire.ReasonHangup:
			lost++
			t.Errorf("hang-up of %s acknowledged, recorded %q", id, c.Reason)
		case c.Reason == store.ReasonServerRestart:
			cut++
			if i := slices.Index(held, id); i >= 0 {
				held = slices.Delete(held, i, i+1)
			}
			if c.End.After(killed) || c.End.Before(c.Answer) || (id == beat && !c.End.After(c.Answer)) {
				t.Errorf("call %s cut by the kill ended at %v: want its last heartbeat, from its answer %v to the kill %v",
					id, c.End, c.Answer, killed)
			}
		}
	}
	if len(held) > 0 {
		t.Errorf("calls up through the kill not recorded as cut by it: %v", held)
	}
	pending, err := st.PendingMissed(context.Background(), off.Number)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, m := range pending {
		stored[m.CallID] = true
	}
	lostMissed := 0
	for id := range missed {
		if !stored[string(id)] {
			lostMissed++
		}
	}
	if lostMissed > 0 {
		t.Errorf("%d of %d acknowledged missed calls were not stored", lostMissed, len(missed))
	}
	t.Logf("hang-ups: %d sent, %d acknowledged, %d acknowledged and lost; %d calls cut by the kill (%d were up throughout); "+
		"missed calls: %d dialled, %d acknowledged, %d stored, %d acknowledged and lost",
		pairs, len(hung), lost, cut, up, offline, len(missed), len(pending), lostMissed)
}

// waitAlive waits until a heartbeat has recorded the call alive after its
// answer.
func waitAlive(t *testing.T, st *store.Store, id wire.CallID) {
	t.Helper()
	deadline := time.Now().Add(servertest.Wait)
	for time.Now().Before(deadline) {
		cdrs, err := st.Calls(context.Background(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cdrs {
			if c.CallID == string(id) && c.Alive.After(c.Answer) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond) // polling the child's store for its heartbeat
	}
	t.Fatalf("no heartbeat for %s", id)
}
