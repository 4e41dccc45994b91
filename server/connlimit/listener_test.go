package connlimit

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

func TestAdmit(t *testing.T) {
	a, b := netip.MustParsePrefix("127.0.0.2/32"), netip.MustParsePrefix("127.0.0.3/32")
	type step struct {
		ln   int // 0 or 1
		src  netip.Prefix
		want string
	}
	for _, tc := range []struct {
		name   string
		total  int
		limits [2]Limits
		steps  []step
	}{
		{"per source", 0, [2]Limits{{PerSource: 2}, {}}, []step{
			{0, a, ""}, {0, a, ""}, {0, a, RefusedPerSource}, {0, b, ""}, {1, a, ""}}},
		{"share", 10, [2]Limits{{Max: 2}, {}}, []step{
			{0, a, ""}, {0, b, ""}, {0, b, RefusedShare}, {1, a, ""}}},
		{"budget", 3, [2]Limits{{}, {}}, []step{
			{0, a, ""}, {1, a, ""}, {0, b, ""}, {1, b, RefusedBudget}, {0, b, RefusedBudget}}},
		{"reserve kept for the other", 4, [2]Limits{{}, {Reserve: 2}}, []step{
			{0, a, ""}, {0, a, ""}, {0, a, RefusedBudget}, {1, a, ""}, {1, a, ""}, {1, a, RefusedBudget}}},
		{"reserve used first by its owner", 4, [2]Limits{{}, {Reserve: 2}}, []step{
			{1, a, ""}, {1, a, ""}, {1, a, ""}, {0, a, ""}, {0, a, RefusedBudget}}},
		{"IPv6 /64 is one source", 0, [2]Limits{{PerSource: 1}, {}}, []step{
			{0, SourceOf(netip.MustParseAddr("2001:db8::1")), ""},
			{0, SourceOf(netip.MustParseAddr("2001:db8::ffff:1")), RefusedPerSource},
			{0, SourceOf(netip.MustParseAddr("2001:db8:0:1::1")), ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bud := NewBudget(tc.total)
			var lns [2]*Listener
			for i := range lns {
				var err error
				if lns[i], err = bud.Listen(nil, tc.limits[i]); err != nil {
					t.Fatal(err)
				}
			}
			for i, s := range tc.steps {
				if got := bud.admit(lns[s.ln], s.src); got != s.want {
					t.Fatalf("step %d (listener %d, %v): %q, want %q", i, s.ln, s.src, got, s.want)
				}
			}
		})
	}
}

func TestReservesOverBudget(t *testing.T) {
	b := NewBudget(10)
	if _, err := b.Listen(nil, Limits{Reserve: 6}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Listen(nil, Limits{Reserve: 5}); !errors.Is(err, ErrOverBudget) {
		t.Fatalf("reserves 6+5 of 10: %v, want ErrOverBudget", err)
	}
}

func TestSourceMapped(t *testing.T) {
	got := Source(&net.TCPAddr{IP: net.ParseIP("::ffff:10.1.2.3"), Port: 9})
	if want := netip.MustParsePrefix("10.1.2.3/32"); got != want {
		t.Fatalf("Source(::ffff:10.1.2.3) = %v, want %v", got, want)
	}
}

// TestPerSourceOverSockets: with a cap of N per source, N+k connections from
// one address get N served and k closed at once; another address is served
// meanwhile; closing a served connection frees its slot.
func TestPerSourceOverSockets(t *testing.T) {
	const n, k = 4, 3
	inner, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewBudget(0).Listen(inner, Limits{Name: "test", PerSource: n})
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 2*(n+k))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		close(accepted)
		for c := range accepted {
			c.Close()
		}
	})

	var attacker []net.Conn
	closed := 0 // a refusal can reset a connection before Dial returns
	for range n + k {
		c, err := tryDialFrom(t, "127.0.0.2", inner.Addr().String())
		if errors.Is(err, syscall.ECONNRESET) {
			closed++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		attacker = append(attacker, c)
	}
	for range n {
		<-accepted
	}
	for _, c := range attacker {
		if isClosed(t, c) {
			closed++
		}
	}
	if closed != k {
		t.Fatalf("%d of %d connections closed, want %d", closed, n+k, k)
	}
	if st := l.Stats(); st.Refused[RefusedPerSource] != k || st.Open != n {
		t.Fatalf("stats %+v, want %d refused per source and %d open", st, k, n)
	}
	other := dialFrom(t, "127.0.0.3", inner.Addr().String())
	c := <-accepted
	if got := c.(*Conn).Source(); got != netip.MustParsePrefix("127.0.0.3/32") {
		t.Fatalf("accepted %v, want the other source", got)
	}
	other.Close()
	c.Close()
	if st := l.Stats(); st.Open != n {
		t.Fatalf("open %d after one closed, want %d", st.Open, n)
	}
}

// isClosed reports whether the server closed c: a read returns EOF or a
// reset rather than waiting. A connection the server keeps shows as a read
// timeout.
func isClosed(t *testing.T, c net.Conn) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	if err == nil {
		t.Fatal("read data from a server that sends none")
	}
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	c, err := tryDialFrom(t, src, addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tryDialFrom(t *testing.T, src, addr string) (net.Conn, error) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp4", addr)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c, nil
}

// flaky is a listener whose Accept fails with errs first.
type flaky struct {
	net.Listener
	errs []error
}

func (f *flaky) Accept() (net.Conn, error) {
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return nil, err
	}
	return f.Listener.Accept()
}

// TestAcceptRetriesOutOfDescriptors: EMFILE and a connection aborted in the
// backlog do not end Accept (pion/turn would stop serving TCP for good).
func TestAcceptRetriesOutOfDescriptors(t *testing.T) {
	inner, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &flaky{Listener: inner, errs: []error{
		&net.OpError{Op: "accept", Err: syscall.EMFILE}, &net.OpError{Op: "accept", Err: syscall.ECONNABORTED}}}
	l, err := NewBudget(0).Listen(f, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dialFrom(t, "127.0.0.1", inner.Addr().String())
	c, err := l.Accept()
	if err != nil {
		t.Fatalf("Accept after EMFILE: %v", err)
	}
	c.Close()
	if got := l.Stats().AcceptRetries; got != 2 {
		t.Fatalf("%d retries, want 2", got)
	}
	l.Close()
	if _, err := l.Accept(); err == nil {
		t.Fatal("Accept on a closed listener succeeded")
	}
}

func TestBudgetFor(t *testing.T) {
	for _, tc := range []struct {
		nofile uint64
		want   int
	}{{20000, 15000}, {1024, 768}, {100, 36}, {10, 0}, {1 << 20, 786432}} {
		if got := BudgetFor(tc.nofile); got != tc.want {
			t.Errorf("BudgetFor(%d) = %d, want %d", tc.nofile, got, tc.want)
		}
	}
}
