package media

import (
	"math"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
)

// TestCallLoopback: two sessions on the real loopback network carry the
// test pattern and a tone both ways, in order, nothing missing after the
// first key frame, the tone at its frequency.
func TestCallLoopback(t *testing.T) {
	a := newPeer(t, "a", peerOpts{camera: true, toneHz: 440})
	b := newPeer(t, "b", peerOpts{camera: true, toneHz: 660})
	setup := dial(t, a, b)
	t.Logf("setup (New → both Connected): %v", setup)

	// Warm up, then measure a window.
	waitVideo(t, a, 15)
	waitVideo(t, b, 15)
	before := map[*peer]call.Stats{a: a.s.Stats(), b: b.s.Stats()}
	waitVideo(t, a, 75)
	waitVideo(t, b, 75)
	waitAudio(t, a, 100)
	waitAudio(t, b, 100)
	for _, c := range []struct {
		p      *peer
		hearHz float64
	}{{a, 660}, {b, 440}} {
		st := c.p.s.Stats()
		pat := st.Video.Pattern
		t.Logf("%s receives: video %d frames %.1f fps %dx%d %.0f kbit/s, pattern %+v; audio %d frames %.0f Hz concealed %d %.0f kbit/s; send %+v; network %+v; path %+v",
			c.p.name, st.Video.FramesDecoded, st.Video.FPS, st.Video.Width, st.Video.Height, st.Video.Kbps, *pat,
			st.Audio.FramesDecoded, st.Audio.ToneHz, st.Audio.Concealed, st.Audio.Kbps, st.Send, st.Network, st.Path)
		// Every frame the other side's camera gave it arrives, or the
		// other side chose not to send it (its rate control, on a loaded
		// machine), or it is counted lost or dropped here — and those only
		// after a packet that retransmission could not bring in time.
		other := a
		if c.p == a {
			other = b
		}
		v, v0 := st.Video, before[c.p].Video
		skipped := other.s.Stats().Send.FramesSkipped - before[other].Send.FramesSkipped
		lost, dropped := v.FramesLost-v0.FramesLost, v.FramesDropped-v0.FramesDropped
		if missing := pat.Missing - v0.Pattern.Missing; missing > skipped+lost+dropped {
			t.Errorf("%s: %d pattern frames missing after warm-up; %d skipped by the sender, %d lost and %d dropped here",
				c.p.name, missing, skipped, lost, dropped)
		}
		if lost+dropped > 0 && v.PacketsLost == v0.PacketsLost {
			t.Errorf("%s: %d frames lost and %d dropped, with no packet lost", c.p.name, lost, dropped)
		}
		if pat.OutOfOrder != 0 {
			t.Errorf("%s: %d pattern frames out of order", c.p.name, pat.OutOfOrder)
		}
		if pat.Frames < 60 {
			t.Errorf("%s: %d pattern frames decoded", c.p.name, pat.Frames)
		}
		if math.Abs(st.Audio.ToneHz-c.hearHz) > 5 {
			t.Errorf("%s hears %.1f Hz, want %.0f", c.p.name, st.Audio.ToneHz, c.hearHz)
		}
		// The size is the congestion controller's to choose: on a loaded
		// machine it may step down, so only its presence is checked.
		if st.Video.Width == 0 || st.Video.Height == 0 {
			t.Errorf("%s: no received picture size", c.p.name)
		}
		if st.Path.Local == "" || st.Path.Remote == "" {
			t.Errorf("%s: no selected pair: %+v", c.p.name, st.Path)
		}
		if !c.p.s.FirstFrameAt().After(time.Time{}) {
			t.Errorf("%s: FirstFrameAt is zero", c.p.name)
		}
	}
}
