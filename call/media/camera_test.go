package media

import (
	"testing"
	"time"

	"github.com/pion/transport/v5/vnet"
)

// TestCameraBackAtFullQuality: while the camera is off only audio flows,
// and a delay spike then (a moment's queueing) makes the congestion
// controller cut its estimate to what audio alone carried. That is not the
// link's capacity: when the camera comes back, on a link as good as
// before, the picture must be back at full size within a few seconds.
func TestCameraBackAtFullQuality(t *testing.T) {
	na, nb, delays := vnetDelayPair(t)
	a := newPeer(t, "a", peerOpts{camera: true, toneHz: 440, mutate: func(c *Config) { c.Net = na }})
	b := newPeer(t, "b", peerOpts{camera: true, toneHz: 660, mutate: func(c *Config) { c.Net = nb }})
	dial(t, a, b)
	// Full size, with frames flowing (the size stays at the last frame's
	// while the camera is off); the frame rate asked for is modest, as it
	// also depends on the CPU this machine has to spare.
	full := func() bool { st := a.s.Stats().Send; return st.Width == 320 && st.Height == 240 && st.FPS >= 10 }
	waitFor(t, "full size before", 20*time.Second, full)
	before := a.s.Stats().Send.TargetKbps
	a.s.SetCamera(false)
	// The scenario's timeline, not waits for events: a second of audio
	// alone, a queueing spike on the link, then calm.
	time.Sleep(time.Second)
	for _, d := range []time.Duration{50, 100, 150, 200, 250, 300} {
		for _, f := range delays {
			f.SetDelay(d * time.Millisecond)
		}
		time.Sleep(150 * time.Millisecond)
	}
	for _, f := range delays {
		f.SetDelay(5 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	off := a.s.Stats().Send.TargetKbps
	t.Logf("target %.0f kbit/s with video, %.0f after the camera was off", before, off)
	a.s.SetCamera(true)
	start := time.Now()
	for !full() {
		if time.Since(start) > 30*time.Second {
			t.Fatalf("not at full size 30 s after the camera came back; sending %+v", a.s.Stats().Send)
		}
		time.Sleep(50 * time.Millisecond) // stats have no event to wait on
	}
	back := time.Since(start)
	t.Logf("full size %v after the camera came back (target %.0f kbit/s)", back.Round(time.Millisecond), a.s.Stats().Send.TargetKbps)
	// Typically under a second; 3.6 s has been seen with the machine loaded
	// by other work. Before the restart it took over half a minute.
	if back > 6*time.Second {
		t.Errorf("full size took %v to come back, want a few seconds", back)
	}
}

// vnetDelayPair is a virtual LAN of two hosts whose inbound delay the test
// sets as it goes.
func vnetDelayPair(t *testing.T) (a, b *vnet.Net, delays []*vnet.DelayFilter) {
	t.Helper()
	r, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", QueueSize: 4096, LoggerFactory: pionLogs{testLogger(t, "vnet")}})
	if err != nil {
		t.Fatal(err)
	}
	host := func(ip string) *vnet.Net {
		n, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
		if err != nil {
			t.Fatal(err)
		}
		d, err := vnet.NewDelayFilter(n, vnet.WithDelay(5*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		delays = append(delays, d)
		if err := r.AddNet(d); err != nil {
			t.Fatal(err)
		}
		return n
	}
	a, b = host("10.0.0.1"), host("10.0.0.2")
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = r.Stop()
		for _, d := range delays {
			_ = d.Close()
		}
	})
	return a, b, delays
}

// waitFor polls cond (stats have no event to wait on) until it holds.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
