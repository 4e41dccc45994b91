package media

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// TestDegraded: a missing device makes the call one-way for that medium;
// it never fails it.
func TestDegraded(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b peerOpts
	}{
		{"a-no-camera", peerOpts{toneHz: 440}, peerOpts{camera: true, toneHz: 660}},
		{"b-no-camera", peerOpts{camera: true, toneHz: 440}, peerOpts{toneHz: 660}},
		{"a-no-mic", peerOpts{camera: true}, peerOpts{camera: true, toneHz: 660}},
		{"b-nothing", peerOpts{camera: true, toneHz: 440}, peerOpts{}},
		{"both-nothing", peerOpts{}, peerOpts{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newPeer(t, "a", tc.a), newPeer(t, "b", tc.b)
			dial(t, a, b)
			// Let each side receive what the other sends.
			for _, pr := range [][2]*peer{{a, b}, {b, a}} {
				rx, tx := pr[0], pr[1]
				if tx.cfg.Camera != nil {
					waitVideo(t, rx, 10)
				}
				if tx.cfg.Mic != nil {
					waitAudio(t, rx, 25)
				}
			}
			for _, pr := range [][2]*peer{{a, b}, {b, a}} {
				rx, tx := pr[0], pr[1]
				st := rx.s.Stats()
				if tx.cfg.Camera == nil && st.Video.FramesDecoded != 0 {
					t.Errorf("%s decoded %d video frames from a peer without a camera", rx.name, st.Video.FramesDecoded)
				}
				if tx.cfg.Mic == nil && st.Audio.FramesDecoded != 0 {
					t.Errorf("%s decoded %d audio frames from a peer without a microphone", rx.name, st.Audio.FramesDecoded)
				}
				if tx.cfg.Camera == nil && tx.s.Stats().Send.Width != 0 {
					t.Errorf("%s sends video without a camera", tx.name)
				}
			}
			for _, p := range []*peer{a, b} {
				select {
				case err := <-p.s.Failed():
					t.Errorf("%s failed: %v", p.name, err)
				default:
				}
			}
		})
	}
}

// TestCameraOffAndMute: camera off stops the pictures, on again brings
// them back (from a key frame); muted sends silence on a live stream.
func TestCameraOffAndMute(t *testing.T) {
	a := newPeer(t, "a", peerOpts{camera: true, toneHz: 440})
	b := newPeer(t, "b", peerOpts{camera: true, toneHz: 660})
	dial(t, a, b)
	waitVideo(t, b, 5)
	a.s.SetCamera(false)
	a.s.SetMuted(true)
	if st := a.s.Stats().Send; st.CameraOn || !st.Muted {
		t.Errorf("send stats %+v after camera off and mute", st)
	}
	// Audio keeps flowing while muted: wait for a second of it, then for
	// the level to have fallen to silence.
	n := b.audio.Frames()
	waitAudio(t, b, n+50)
	if lvl := b.s.Stats().Audio.Level; lvl > 0.05 {
		t.Errorf("b hears level %.3f from a muted a", lvl)
	}
	// The video stopped: no more than what was in flight.
	frozen := b.video.Count()
	waitAudio(t, b, b.audio.Frames()+10)
	if got := b.video.Count(); got > frozen+3 {
		t.Errorf("b got %d pictures after a's camera went off", got-frozen)
	}
	a.s.SetCamera(true)
	waitVideo(t, b, b.video.Count()+10)
}

// TestCloseLeavesNothing: Close stops and waits for everything a session
// started, and is idempotent; methods after Close say so.
func TestCloseLeavesNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		a := newPeer(t, "a", peerOpts{camera: true, toneHz: 440})
		b := newPeer(t, "b", peerOpts{camera: true, toneHz: 660})
		a.cfg.Offerer = true
		sa, err := New(a.cfg, newLink())
		if err != nil {
			t.Fatal(err)
		}
		sb, err := New(b.cfg, newLink())
		if err != nil {
			t.Fatal(err)
		}
		closeAll(t, sa, sb)
		closeAll(t, sa, sb) // again
		if err := sa.Start(context.Background()); err != ErrClosed {
			t.Errorf("Start after Close: %v", err)
		}
	}()
	checkNoLeak(t, before)

	// And after a call that carried media.
	a := newPeer(t, "a", peerOpts{camera: true, toneHz: 440})
	b := newPeer(t, "b", peerOpts{camera: true, toneHz: 660})
	dial(t, a, b)
	waitVideo(t, a, 10)
	waitVideo(t, b, 10)
	// a hangs up: b learns it from DTLS; a, which closed, hears nothing.
	closeAll(t, a.s)
	select {
	case err := <-b.s.Failed():
		t.Logf("b: %v", err)
	case <-time.After(15 * time.Second):
		t.Errorf("b not told that a closed")
	}
	if err := a.s.HandleICE(wireCandidate("candidate:1 1 udp 1 127.0.0.1 9 typ host")); err != ErrClosed {
		t.Errorf("HandleICE after Close: %v", err)
	}
	select {
	case err := <-a.s.Failed():
		t.Errorf("Failed after our own Close: %v", err)
	default:
	}
}
