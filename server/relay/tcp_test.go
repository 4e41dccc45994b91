package relay

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

// TestTURNOverTCP: a client that reaches the relay over TCP (networks that
// block UDP to the server) still gets its UDP relay socket on its lease and
// the same peer restriction.
func TestTURNOverTCP(t *testing.T) {
	calls := newFakeCalls()
	leaseA, leaseB := freeLease(t, "127.77.0.1"), freeLease(t, "127.77.0.2")
	calls.setLease(numA, leaseA.String())
	calls.setLease(numB, leaseB.String())
	calls.start("c1", numA, numB)
	r, err := New(Config{Calls: calls})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, pc, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	<-r.Ready()

	cr := r.Credentials("c1", numA)
	if len(cr.URLs) != 2 || !strings.HasSuffix(cr.URLs[1], ln.Addr().String()+"?transport=tcp") {
		t.Fatalf("URLs %v, want a UDP and a TCP URL", cr.URLs)
	}
	tc, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: ln.Addr().String(), TURNServerAddr: ln.Addr().String(),
		Conn: turn.NewSTUNConn(tc), Username: cr.Username, Password: cr.Password, Realm: "dialtone",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	actx, acancel := context.WithTimeout(ctx, 5*time.Second)
	defer acancel()
	rc, err := c.AllocateWithContext(actx)
	if err != nil {
		t.Fatal(err)
	}
	if got := relayed(rc); got != leaseA {
		t.Fatalf("relayed address %v, want lease %v", got, leaseA)
	}
	if err := c.CreatePermission(udpAddr(leaseB)); err != nil {
		t.Errorf("permission to the other party over TCP: %v", err)
	}
	if err := c.CreatePermission(&net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 5000}); err == nil {
		t.Error("permission to a private address granted over TCP")
	}
	b := peer(t, leaseB)
	if _, err := rc.WriteTo([]byte("over tcp"), udpAddr(leaseB)); err != nil {
		t.Fatal(err)
	}
	if msg, from := readFrom(t, b); msg != "over tcp" || from != leaseA {
		t.Fatalf("peer got %q from %v", msg, from)
	}
}
