//go:build cgo

package audio

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/dialtone/dialtone/device"
)

// Input is a microphone: a device.AudioSource of 48 kHz mono in 20 ms
// frames, paced by the device's clock.
type Input struct {
	st   *paStream
	rs   *Resampler
	ring *ring

	closing   atomic.Bool
	done      chan struct{} // closed when run returns
	closeOnce sync.Once
	closeErr  error

	frames, overruns, dropped, xruns atomic.Uint64
}

var _ device.AudioSource = (*Input)(nil)

// OpenInput opens the input device spec names (see Resolve) with the
// default Config.
func OpenInput(spec string) (*Input, error) {
	return NewInput(Config{Device: spec})
}

// NewInput opens and starts an input device. Audio is captured from then
// on; the newest Buffer of it waits for ReadAudio.
func NewInput(cfg Config) (*Input, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	st, err := openStream(cfg, Capture)
	if err != nil {
		return nil, err
	}
	rs, err := NewResampler(st.rate, device.SampleRate)
	if err != nil {
		st.close()
		return nil, err
	}
	in := &Input{st: st, rs: rs, ring: newRing(samples(cfg.Buffer)), done: make(chan struct{})}
	go in.run()
	return in, nil
}

// run moves audio from the driver into the ring until Close or a driver
// error. An overflow in the driver is counted and reading goes on.
func (in *Input) run() {
	defer close(in.done)
	st := in.st
	mono := make([]float32, 0, st.chunk)
	conv := make([]float32, 0, 2*device.SampleRate/100+64)
	pcm := make([]int16, cap(conv))
	for !in.closing.Load() {
		if err := st.s.Read(); err != nil {
			if !isXrun(err) {
				in.ring.finish(fmt.Errorf("reading audio input %q: %w", st.info.Name, err))
				return
			}
			in.xruns.Add(1)
		}
		mono = Downmix(mono[:0], st.buf, st.ch)
		conv = in.rs.Process(conv[:0], mono)
		if len(conv) > len(pcm) {
			pcm = make([]int16, len(conv))
		}
		n := FloatToInt(pcm, conv)
		if d := in.ring.push(pcm[:n]); d > 0 {
			in.overruns.Add(1)
			in.dropped.Add(uint64(d))
		}
	}
}

// ReadAudio waits for the next len(pcm) samples (FrameSamples, 20 ms, by
// contract) or for ctx. After Close it returns device.ErrClosed; after the
// device failed, its error.
func (in *Input) ReadAudio(ctx context.Context, pcm []int16) error {
	if in.closing.Load() {
		return device.ErrClosed
	}
	if err := in.ring.readFull(ctx, pcm); err != nil {
		return err
	}
	in.frames.Add(1)
	return nil
}

// Info describes the device.
func (in *Input) Info() Info { return in.st.info }

// Stats returns the counters so far.
func (in *Input) Stats() Stats {
	return Stats{
		Device: in.st.info.Name, DeviceRate: in.st.rate, DeviceChannels: in.st.ch, Latency: in.st.latency,
		Frames: in.frames.Load(), Overruns: in.overruns.Load(), Dropped: in.dropped.Load(), DriverXruns: in.xruns.Load(),
	}
}

// Close stops capture and releases the device; a blocked ReadAudio returns
// device.ErrClosed. It waits for the driver goroutine, which finishes its
// current 10 ms read. Closing again returns the first result.
func (in *Input) Close() error {
	in.closeOnce.Do(func() {
		in.closing.Store(true)
		in.ring.finish(device.ErrClosed)
		<-in.done
		in.closeErr = in.st.close()
	})
	return in.closeErr
}
