package synthetic

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/dialtone/dialtone/device"
)

// DefaultToneHz is the tone's frequency when none is given: concert A.
const DefaultToneHz = 440

// toneAmplitude is −6 dBFS: loud enough to measure, far from clipping after
// a codec's overshoot.
const toneAmplitude = 16384

// Tone is an AudioSource of a sine wave, 48 kHz mono, paced in real time.
// The wave continues from frame to frame without a phase jump.
type Tone struct {
	hz    float64
	pace  pacer
	phase float64 // radians, in [0, 2π)
	step  float64

	closeOnce sync.Once
	done      chan struct{}
}

var _ device.AudioSource = (*Tone)(nil)

// NewTone returns a sine source at hz (DefaultToneHz if hz is 0). hz must be
// below the Nyquist frequency, 24 kHz.
func NewTone(hz float64, opts ...Option) (*Tone, error) {
	if hz == 0 {
		hz = DefaultToneHz
	}
	if !(hz > 0 && hz < device.SampleRate/2) {
		return nil, fmt.Errorf("tone frequency %v Hz: out of range (0, %d)", hz, device.SampleRate/2)
	}
	o := buildOptions(opts)
	return &Tone{
		hz: hz,
		// An audio reader that is late catches up (no sample is dropped)
		// unless it is very late, when it resynchronises.
		pace: pacer{clock: o.clock, period: device.FrameTime, maxLag: 200 * time.Millisecond},
		step: 2 * math.Pi * hz / device.SampleRate,
		done: make(chan struct{}),
	}, nil
}

// Hz is the tone's frequency.
func (t *Tone) Hz() float64 { return t.hz }

// ReadAudio waits for the next 20 ms slot and fills pcm with the next
// samples. pcm may have any length; len FrameSamples is the contract.
func (t *Tone) ReadAudio(ctx context.Context, pcm []int16) error {
	if _, err := t.pace.wait(ctx, t.done); err != nil {
		return err
	}
	for i := range pcm {
		pcm[i] = int16(math.Round(toneAmplitude * math.Sin(t.phase)))
		t.phase += t.step
		if t.phase >= 2*math.Pi {
			t.phase -= 2 * math.Pi
		}
	}
	return nil
}

// Close stops the source; a blocked ReadAudio returns device.ErrClosed.
func (t *Tone) Close() error {
	t.closeOnce.Do(func() { close(t.done) })
	return nil
}
