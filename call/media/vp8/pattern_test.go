//go:build cgo

package vp8_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/media/vp8"
	"github.com/dialtone/dialtone/device/synthetic"
)

// stepClock is a synthetic.Clock whose time moves only when the pattern
// waits for its next frame, so the test runs as fast as the codec.
type stepClock struct{ now time.Time }

func (c *stepClock) Now() time.Time { return c.now }

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// TestPatternSurvives sends the call's own test pattern through VP8 at a
// low bitrate: every frame that comes out must still carry its number and
// capture time.
func TestPatternSurvives(t *testing.T) {
	clock := &stepClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	src, err := synthetic.NewPattern(synthetic.PatternConfig{Width: 320, Height: 240, FPS: 30, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	enc, err := vp8.NewEncoder(vp8.EncoderConfig{BitrateKbps: 150})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := vp8.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()

	decoded := 0
	for want := range uint32(60) {
		f, err := src.ReadFrame(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pkt, _, err := enc.Encode(f, false)
		if err != nil {
			t.Fatal(err)
		}
		if pkt == nil {
			continue // dropped by rate control
		}
		g, ok, err := dec.Decode(pkt)
		if err != nil || !ok {
			t.Fatalf("frame %d: ok=%v err=%v", want, ok, err)
		}
		decoded++
		seq, at, ok := synthetic.DecodePattern(g)
		if !ok || seq != want || !at.Equal(f.Time.Truncate(time.Millisecond)) {
			t.Errorf("frame %d: read back seq %d at %v (ok=%v), want %d at %v", want, seq, at, ok, want, f.Time)
		}
	}
	if decoded < 50 {
		t.Errorf("only %d of 60 frames came out at 150 kbit/s", decoded)
	}
}
