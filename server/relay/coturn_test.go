package relay

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// uclient runs coturn's turnutils_uclient (a TURN client no one here
// wrote) against the harness's relay, sending n messages to peer, and
// reports whether it completed (exit status 0, which it only reaches with an
// allocation).
func uclient(t *testing.T, h *harness, peer netip.AddrPort, n int, auth ...string) (bool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := []string{
		"-n", strconv.Itoa(n), "-m", "1", "-c", "-z", "5",
		"-e", peer.Addr().String(), "-r", strconv.Itoa(int(peer.Port())),
		"-p", strconv.Itoa(h.addr.Port),
	}
	args = append(append(args, auth...), h.addr.IP.String())
	out, err := exec.CommandContext(ctx, "turnutils_uclient", args...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("turnutils_uclient did not finish: %s", out)
	}
	return err == nil, string(out)
}

// echo answers every datagram on c to its sender, as coturn's
// turnutils_peer does; here it stands on B's lease.
func echo(c *net.UDPConn) {
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		_, _ = c.WriteToUDPAddrPort(buf[:n], from)
	}
}

func TestCoturnClient(t *testing.T) {
	if _, err := exec.LookPath("turnutils_uclient"); err != nil {
		t.Skip("turnutils_uclient not installed (Debian package coturn; make deps installs it)")
	}
	tests := []struct {
		name  string
		setup func(h *harness) []string
		ok    bool
		want  Reason
	}{
		{"no credentials", func(*harness) []string { return nil }, false, ""},
		{"wrong password", func(h *harness) []string {
			cr := h.relay.Credentials("c1", numA)
			return []string{"-u", cr.Username, "-w", "wrong"}
		}, false, ReasonCredentialIntegrity},
		{"valid, no lease", func(h *harness) []string {
			h.calls.setLease(numA, "")
			cr := h.relay.Credentials("c1", numA)
			return []string{"-u", cr.Username, "-w", cr.Password}
		}, false, ReasonNoLease},
		{"valid, call ended", func(h *harness) []string {
			cr := h.relay.Credentials("c1", numA)
			h.calls.end("c1")
			return []string{"-u", cr.Username, "-w", cr.Password}
		}, false, ReasonCallNotLive},
		{"valid", func(h *harness) []string {
			cr := h.relay.Credentials("c1", numA)
			return []string{"-u", cr.Username, "-w", cr.Password}
		}, true, ""},
		// uclient's TURN REST mode builds "<expiry>:<user>" itself, so a
		// user "c1:+15550001" yields our username form.
		{"valid, REST secret", func(*harness) []string {
			return []string{"-u", "c1:" + numA, "-W", "test secret"}
		}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The real clock: uclient's REST mode stamps the expiry with it.
			h := newHarness(t, func(c *Config) { c.Now = time.Now })
			h.calls.start("c1", numA, numB)
			b := peer(t, h.lease[numB])
			go echo(b)
			auth := tt.setup(h)
			ok, out := uclient(t, h, h.lease[numB], 3, auth...)
			st := h.relay.Stats()
			if ok != tt.ok || (st.AllocationsTotal > 0) != tt.ok {
				t.Fatalf("uclient completed %v with %d allocations, want %v\n%s", ok, st.AllocationsTotal, tt.ok, out)
			}
			if tt.want != "" && st.Refusals[tt.want] == 0 {
				t.Errorf("refusals %v, want %s", st.Refusals, tt.want)
			}
			if tt.ok {
				if ls := st.Leases[h.lease[numA]]; ls.PacketsOut == 0 || ls.PacketsIn == 0 {
					t.Errorf("lease A relayed %+v, want uclient's messages both ways", ls)
				}
			}
		})
	}
}
