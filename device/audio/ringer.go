package audio

import (
	"context"
	"sync"
	"time"

	"github.com/dialtone/dialtone/assets"
	"github.com/dialtone/dialtone/device"
)

// ringLead is how far Ring runs ahead of the wall clock: enough to keep a
// speaker's queue from running dry, little enough that the ring stops soon
// after Stop.
const ringLead = 100 * time.Millisecond

// Ring plays pcm (48 kHz mono) through sink from the start, over and over,
// until ctx is done; then it writes one frame fading the tone out, so the
// stop does not click, and returns nil. It paces itself to real time (at
// most ringLead ahead), so it suits sinks that block, like Output, and sinks
// that do not. A sink error ends it and is returned.
func Ring(ctx context.Context, sink device.AudioSink, pcm []int16) error {
	if len(pcm) == 0 {
		<-ctx.Done()
		return nil
	}
	frame := make([]int16, device.FrameSamples)
	pos := 0
	next := func() {
		for i := range frame {
			frame[i] = pcm[pos]
			if pos++; pos == len(pcm) {
				pos = 0
			}
		}
	}
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for k := 1; ; k++ {
		if ctx.Err() != nil {
			next()
			for i := range frame {
				frame[i] = int16(int(frame[i]) * (len(frame) - 1 - i) / len(frame))
			}
			return sink.WriteAudio(frame)
		}
		next()
		if err := sink.WriteAudio(frame); err != nil {
			return err
		}
		if ahead := time.Duration(k)*device.FrameTime - time.Since(start); ahead > ringLead {
			timer.Reset(ahead - ringLead)
			select {
			case <-timer.C:
			case <-ctx.Done():
			}
		}
	}
}

// Ringer rings a sink with a ringtone on demand: the TUI starts it on an
// incoming call and stops it on answer, refusal or cancel.
type Ringer struct {
	sink device.AudioSink
	pcm  []int16

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// NewRinger returns a stopped Ringer for sink; pcm nil is the dialtone
// ringtone (assets.Ringtone).
func NewRinger(sink device.AudioSink, pcm []int16) *Ringer {
	if pcm == nil {
		pcm = assets.Ringtone()
	}
	return &Ringer{sink: sink, pcm: pcm}
}

// Start begins ringing from the top of the tone; it does nothing while
// already ringing.
func (r *Ringer) Start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	r.cancel, r.done = cancel, done
	go func() {
		defer close(done)
		if err := Ring(ctx, r.sink, r.pcm); err != nil {
			r.mu.Lock()
			r.err = err
			r.mu.Unlock()
		}
	}()
}

// Ringing reports whether the Ringer was started and not stopped.
func (r *Ringer) Ringing() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cancel != nil
}

// Stop ends ringing and waits until the last frame is written. It returns
// the sink's error if one stopped the ringing early. Stop on a stopped
// Ringer does nothing.
func (r *Ringer) Stop() error {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel, r.done = nil, nil
	r.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.err
	r.err = nil
	return err
}
