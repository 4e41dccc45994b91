//go:build cgo

package audio

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/dialtone/dialtone/device"
)

// Output is a speaker: a device.AudioSink of 48 kHz mono. WriteAudio queues
// and returns at once while there is room, and holds the writer back once
// Buffer is queued, so a writer that runs ahead is paced by the device.
type Output struct {
	st    *paStream
	rs    *Resampler
	ring  *ring
	prime int

	closing   atomic.Bool
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	frames, underruns, silence, xruns atomic.Uint64
}

var _ device.AudioSink = (*Output)(nil)

// OpenOutput opens the output device spec names (see Resolve) with the
// default Config.
func OpenOutput(spec string) (*Output, error) {
	return NewOutput(Config{Device: spec})
}

// NewOutput opens and starts an output device; it plays silence until the
// first Prime of audio is written.
func NewOutput(cfg Config) (*Output, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	st, err := openStream(cfg, Playback)
	if err != nil {
		return nil, err
	}
	rs, err := NewResampler(device.SampleRate, st.rate)
	if err != nil {
		st.close()
		return nil, err
	}
	o := &Output{st: st, rs: rs, ring: newRing(samples(cfg.Buffer)), prime: samples(cfg.Prime), done: make(chan struct{})}
	go o.run()
	return o, nil
}

// outputChunk is what the driver goroutine takes from the ring per write.
const outputChunk = device.SampleRate / 100 // 10 ms

// run feeds the driver 10 ms at a time: queued audio once Prime of it is
// there, silence otherwise. Running dry mid-stream is an underrun: counted,
// filled with silence, and the output waits for Prime again. After Close it
// plays out what is queued and returns.
func (o *Output) run() {
	defer close(o.done)
	st := o.st
	pcm := make([]int16, outputChunk)
	f := make([]float32, 0, outputChunk)
	conv := make([]float32, 0, 2*outputChunk+64)
	playing := false
	for {
		closing := o.closing.Load()
		queued := o.ring.len()
		if !playing && (queued >= o.prime || closing && queued > 0) {
			playing = true
		}
		n := 0
		if playing {
			n = o.ring.pull(pcm)
		}
		if closing && n == 0 {
			// PortAudio holds back a partial host buffer, which Stop would
			// discard: push the last audio through with silence.
			o.flush(f, conv)
			return
		}
		if playing && n < len(pcm) {
			if !closing {
				o.underruns.Add(1)
				o.silence.Add(uint64(len(pcm) - n))
			}
			playing = false
		}
		clear(pcm[n:])
		f = IntToFloat(f[:0], pcm)
		conv = o.rs.Process(conv[:0], f)
		st.buf = Upmix(st.buf[:0], conv, st.ch)
		if len(st.buf) == 0 {
			continue
		}
		if err := st.s.Write(); err != nil {
			if !isXrun(err) {
				o.ring.finish(fmt.Errorf("writing audio output %q: %w", st.info.Name, err))
				return
			}
			o.xruns.Add(1)
		}
	}
}

// flushChunks of silence, run through the resampler, push the end of the
// audio out of the resampler's look-ahead and PortAudio's buffer processor,
// whose host buffer is up to about the device latency; Stop would drop
// them otherwise. Two more than the latency's worth, to be sure.

func (o *Output) flush(f, conv []float32) {
	st := o.st
	f = f[:outputChunk]
	clear(f)
	chunks := int(st.latency/(device.FrameTime/2)) + 2
	for range chunks {
		conv = o.rs.Process(conv[:0], f)
		st.buf = Upmix(st.buf[:0], conv, st.ch)
		if err := st.s.Write(); err != nil && !isXrun(err) {
			return
		}
	}
}

// WriteAudio queues pcm (FrameSamples, 20 ms, by contract), waiting while
// the queue is full. After Close it returns device.ErrClosed; after the
// device failed, its error.
func (o *Output) WriteAudio(pcm []int16) error {
	if o.closing.Load() {
		return device.ErrClosed
	}
	if err := o.ring.write(pcm); err != nil {
		return err
	}
	o.frames.Add(1)
	return nil
}

// Info describes the device.
func (o *Output) Info() Info { return o.st.info }

// Stats returns the counters so far.
func (o *Output) Stats() Stats {
	return Stats{
		Device: o.st.info.Name, DeviceRate: o.st.rate, DeviceChannels: o.st.ch, Latency: o.st.latency,
		Frames: o.frames.Load(), Underruns: o.underruns.Load(), Silence: o.silence.Load(), DriverXruns: o.xruns.Load(),
	}
}

// Close plays out what is queued (at most Buffer, plus the driver's
// latency), then stops the device. A blocked WriteAudio returns
// device.ErrClosed. Closing again returns the first result.
func (o *Output) Close() error {
	o.closeOnce.Do(func() {
		o.closing.Store(true)
		o.ring.finish(device.ErrClosed)
		<-o.done
		o.closeErr = o.st.close()
	})
	return o.closeErr
}
