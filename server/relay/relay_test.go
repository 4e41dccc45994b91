package relay

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestAllocationIsOnLease(t *testing.T) {
	h := newHarness(t, nil)
	h.calls.start("c1", numA, numB)
	rc, err := h.allocate(t, "c1", numA)
	if err != nil {
		t.Fatalf("allocating: %v", err)
	}
	if got := rc.LocalAddr().(*net.UDPAddr).AddrPort(); got != h.lease[numA] {
		t.Fatalf("relayed address %v, want lease %v", got, h.lease[numA])
	}

	// B's lease, standing in for B's relay socket: A's packets reach it
	// from A's lease, and its packets reach A.
	b := peer(t, h.lease[numB])
	if _, err := rc.WriteTo([]byte("hello B"), udpAddr(h.lease[numB])); err != nil {
		t.Fatal(err)
	}
	msg, from := readFrom(t, b)
	if msg != "hello B" || from != h.lease[numA] {
		t.Fatalf("peer got %q from %v, want %q from %v", msg, from, "hello B", h.lease[numA])
	}
	if _, err := b.WriteToUDPAddrPort([]byte("hello A"), h.lease[numA]); err != nil {
		t.Fatal(err)
	}
	msg, from = readFrom(t, rc)
	if msg != "hello A" || from != h.lease[numB] {
		t.Fatalf("client got %q from %v, want %q from %v", msg, from, "hello A", h.lease[numB])
	}

	st := h.relay.Stats()
	if st.Allocations != 1 || st.AllocationsTotal != 1 {
		t.Errorf("allocations %d (total %d), want 1 (1)", st.Allocations, st.AllocationsTotal)
	}
	want := LeaseStats{PacketsIn: 1, PacketsOut: 1, BytesIn: 7, BytesOut: 7}
	if got := st.Leases[h.lease[numA]]; got != want {
		t.Errorf("lease A stats %+v, want %+v", got, want)
	}
}

func TestStrangersGetNothingThrough(t *testing.T) {
	h := newHarness(t, nil)
	h.calls.start("c1", numA, numB)
	rc, err := h.allocate(t, "c1", numA)
	if err != nil {
		t.Fatal(err)
	}
	b := peer(t, h.lease[numB])
	// The same IP as B's lease on another port: a shared-IP deployment's
	// neighbour, which the IP-level TURN permission would let through.
	neighbour := peer(t, netip.AddrPortFrom(h.lease[numB].Addr(), h.lease[numB].Port()+1))
	stranger := peer(t, netip.MustParseAddrPort("127.0.0.1:0"))
	if _, err := rc.WriteTo([]byte("open"), udpAddr(h.lease[numB])); err != nil { // creates the permission
		t.Fatal(err)
	}
	readFrom(t, b)

	t.Run("inbound", func(t *testing.T) {
		for _, s := range []*net.UDPConn{stranger, neighbour} {
			h.drainRefusals()
			if _, err := s.WriteToUDPAddrPort([]byte("intruder"), h.lease[numA]); err != nil {
				t.Fatal(err)
			}
			h.waitRefusal(t, ReasonPacketIn)
		}
		// Datagrams through one relay socket keep their order, so if the
		// intruders had got through they would arrive before this.
		if _, err := b.WriteToUDPAddrPort([]byte("from B"), h.lease[numA]); err != nil {
			t.Fatal(err)
		}
		if msg, from := readFrom(t, rc); msg != "from B" || from != h.lease[numB] {
			t.Fatalf("client got %q from %v, want only B's datagram", msg, from)
		}
	})
	t.Run("outbound", func(t *testing.T) {
		h.drainRefusals()
		if _, err := rc.WriteTo([]byte("to neighbour"), neighbour.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		h.waitRefusal(t, ReasonPacketOut)
		nothingQueued(t, neighbour)
	})
}

func TestPermissionRefusals(t *testing.T) {
	h := newHarness(t, nil)
	h.calls.start("c1", numA, numB)
	h.calls.start("c2", numC, "+15550009")
	if _, err := h.allocate(t, "c2", numC); err != nil { // C's lease is now a lease here
		t.Fatal(err)
	}
	cr := h.relay.Credentials("c1", numA)
	c := h.client(t, cr.Username, cr.Password)
	if _, err := c.Allocate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		peer string
		want Reason
	}{
		{"other lease", h.lease[numC].String(), ReasonPeerLease},
		{"server", h.addr.String(), ReasonPeerServer},
		{"loopback", "127.0.0.2:5000", ReasonPeerLoopback},
		{"private", "10.1.2.3:5000", ReasonPeerPrivate},
		{"private 192.168", "192.168.1.1:5000", ReasonPeerPrivate},
		{"link-local", "169.254.1.1:5000", ReasonPeerLinkLocal},
		{"metadata", "169.254.169.254:80", ReasonPeerMetadata},
		{"public", "8.8.8.8:53", ReasonPeerOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.relay.Stats().Refusals[tt.want]
			if err := c.CreatePermission(udpAddr(netip.MustParseAddrPort(tt.peer))); err == nil {
				t.Fatalf("permission to %s granted", tt.peer)
			}
			if got := h.relay.Stats().Refusals[tt.want]; got != before+1 {
				t.Errorf("%s refusals %d, want %d", tt.want, got, before+1)
			}
		})
	}
	if err := c.CreatePermission(udpAddr(h.lease[numB])); err != nil {
		t.Errorf("permission to the other party's lease: %v", err)
	}
}

func TestAllocationRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *harness) (user, pass string)
		want  Reason
	}{
		{"valid credentials, no lease", func(h *harness) (string, string) {
			h.calls.setLease(numA, "")
			cr := h.relay.Credentials("c1", numA)
			return cr.Username, cr.Password
		}, ReasonNoLease},
		{"wrong password", func(h *harness) (string, string) {
			cr := h.relay.Credentials("c1", numA)
			return cr.Username, cr.Password + "x"
		}, ReasonCredentialIntegrity},
		{"another number's password", func(h *harness) (string, string) {
			a, b := h.relay.Credentials("c1", numA), h.relay.Credentials("c1", numB)
			return a.Username, b.Password
		}, ReasonCredentialIntegrity},
		{"expired", func(h *harness) (string, string) {
			cr := h.relay.Credentials("c1", numA)
			h.clock.Advance(10*time.Minute + 2*time.Second)
			return cr.Username, cr.Password
		}, ReasonCredentialExpired},
		{"call ended", func(h *harness) (string, string) {
			cr := h.relay.Credentials("c1", numA)
			h.calls.end("c1")
			return cr.Username, cr.Password
		}, ReasonCallNotLive},
		{"not a party", func(h *harness) (string, string) {
			cr := h.relay.Credentials("c1", numC)
			return cr.Username, cr.Password
		}, ReasonCallNotLive},
		{"malformed", func(*harness) (string, string) { return "alice", "secret" }, ReasonCredentialMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.calls.start("c1", numA, numB)
			user, pass := tt.setup(h)
			c := h.client(t, user, pass)
			if rc, err := c.Allocate(); err == nil {
				_ = rc.Close()
				t.Fatal("allocation granted")
			}
			if got := h.relay.Stats(); got.Refusals[tt.want] == 0 || got.Allocations != 0 {
				t.Errorf("refusals %v, allocations %d; want a %s refusal and none", got.Refusals, got.Allocations, tt.want)
			}
		})
	}
}

func TestExpiredCredentialsKeepLiveAllocation(t *testing.T) {
	h := newHarness(t, nil)
	h.calls.start("c1", numA, numB)
	cr := h.relay.Credentials("c1", numA)
	c := h.client(t, cr.Username, cr.Password)
	if _, err := c.Allocate(); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour)
	// CreatePermission is authenticated like a Refresh, with the same
	// credentials: a live call keeps its allocation past expiry.
	if err := c.CreatePermission(udpAddr(h.lease[numB])); err != nil {
		t.Fatalf("permission with expired credentials during a live call: %v", err)
	}
	h.calls.end("c1")
	if err := c.CreatePermission(udpAddr(h.lease[numB])); err == nil {
		t.Fatal("permission granted after the call ended")
	}
}

// leaseFree reports whether the lease's port can be bound again, that is
// whether the relay closed its socket.
func leaseFree(t *testing.T, l netip.AddrPort) {
	t.Helper()
	c, err := net.ListenUDP("udp4", udpAddr(l))
	if err != nil {
		t.Fatalf("lease %v still bound: %v", l, err)
	}
	_ = c.Close()
}

func TestCleanup(t *testing.T) {
	tests := []struct {
		name string
		end  func(h *harness)
	}{
		{"EndCall", func(h *harness) { h.calls.end("c1"); h.relay.EndCall("c1") }},
		{"Release", func(h *harness) {
			h.calls.setLease(numA, "")
			h.calls.setLease(numB, "")
			h.relay.Release(numA)
			h.relay.Release(numB)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.calls.start("c1", numA, numB)
			h.calls.start("c2", numC, "+15550009")
			for _, n := range []string{numA, numB} {
				if _, err := h.allocate(t, "c1", n); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := h.allocate(t, "c2", numC); err != nil {
				t.Fatal(err)
			}
			tt.end(h)
			if got := h.relay.Stats().Allocations; got != 1 {
				t.Fatalf("%d allocations left, want 1 (the other call's)", got)
			}
			leaseFree(t, h.lease[numA])
			leaseFree(t, h.lease[numB])
			if tt.name == "Release" {
				if _, ok := h.relay.Stats().Leases[h.lease[numA]]; ok {
					t.Error("released lease still in Stats.Leases")
				}
			}
		})
	}
	t.Run("shutdown", func(t *testing.T) {
		var lease netip.AddrPort
		t.Run("serve", func(t *testing.T) {
			h := newHarness(t, nil)
			h.calls.start("c1", numA, numB)
			cr := h.relay.Credentials("c1", numA)
			// The client never deallocates: the relay must close the
			// socket when Serve ends (the harness cancels it on cleanup).
			if _, err := h.client(t, cr.Username, cr.Password).Allocate(); err != nil {
				t.Fatal(err)
			}
			lease = h.lease[numA]
		})
		leaseFree(t, lease)
	})
}

// TestEndedCallPeerRefused: A in two calls may reach both peers; when one
// call ends, its peer is refused at once, without waiting for a cache.
func TestEndedCallPeerRefused(t *testing.T) {
	h := newHarness(t, nil)
	h.calls.start("c1", numA, numB)
	h.calls.start("c2", numA, numC)
	rc, err := h.allocate(t, "c1", numA)
	if err != nil {
		t.Fatal(err)
	}
	c := peer(t, h.lease[numC])
	if _, err := rc.WriteTo([]byte("to C"), udpAddr(h.lease[numC])); err != nil {
		t.Fatal(err)
	}
	if msg, _ := readFrom(t, c); msg != "to C" {
		t.Fatalf("C got %q", msg)
	}
	h.calls.end("c2")
	h.relay.EndCall("c2")
	h.drainRefusals()
	if _, err := rc.WriteTo([]byte("to C again"), udpAddr(h.lease[numC])); err != nil {
		t.Fatal(err)
	}
	h.waitRefusal(t, ReasonPacketOut)
	nothingQueued(t, c)
}
