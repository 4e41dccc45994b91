package audio

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dialtone/dialtone/assets"
	"github.com/dialtone/dialtone/device"
)

// clockSink records frames and the fake time each one arrived.
type clockSink struct {
	mu     sync.Mutex
	frames [][]int16
	at     []time.Duration
	start  time.Time
	fail   error
}

func (s *clockSink) WriteAudio(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.frames = append(s.frames, append([]int16(nil), pcm...))
	s.at = append(s.at, time.Since(s.start))
	return nil
}

func (s *clockSink) Close() error { return nil }

func TestRingerPacesAndLoops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &clockSink{start: time.Now()}
		tone := assets.Ringtone()
		r := NewRinger(sink, nil)
		r.Start()
		r.Start() // already ringing: nothing new
		if !r.Ringing() {
			t.Fatal("not ringing after Start")
		}
		time.Sleep(7 * time.Second) // fake time: two and a bit cadences
		if err := r.Stop(); err != nil {
			t.Fatal(err)
		}
		if r.Ringing() {
			t.Error("ringing after Stop")
		}
		if err := r.Stop(); err != nil {
			t.Errorf("second Stop: %v", err)
		}
		n := len(sink.frames)
		// 7 s of frames, at most ringLead ahead, plus the fade-out frame.
		if want := int(7*time.Second/device.FrameTime) + 1; n < want || n > want+int(ringLead/device.FrameTime)+1 {
			t.Errorf("%d frames in 7 s, want about %d", n, want)
		}
		for i, at := range sink.at {
			if ahead := time.Duration(i)*device.FrameTime - at; ahead > ringLead+device.FrameTime {
				t.Fatalf("frame %d written %v ahead of real time", i, ahead)
			}
		}
		// The second cadence repeats the first exactly.
		per := len(tone) / device.FrameSamples
		for i := range per {
			for j, v := range sink.frames[i] {
				if sink.frames[i+per][j] != v || tone[i*device.FrameSamples+j] != v {
					t.Fatalf("frame %d does not repeat the ringtone", i)
				}
			}
		}
		// The last frame fades out to silence.
		last := sink.frames[n-1]
		if last[len(last)-1] != 0 {
			t.Errorf("last frame ends at %d, want 0", last[len(last)-1])
		}
	})
}

func TestRingStopsOnSinkError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &clockSink{start: time.Now(), fail: device.ErrClosed}
		if err := Ring(context.Background(), sink, []int16{1, 2, 3}); !errors.Is(err, device.ErrClosed) {
			t.Errorf("Ring = %v, want the sink's error", err)
		}
		r := NewRinger(sink, []int16{1})
		r.Start()
		synctest.Wait()
		if err := r.Stop(); !errors.Is(err, device.ErrClosed) {
			t.Errorf("Stop = %v, want the sink's error", err)
		}
	})
}
