// Package device holds the types that carry pictures and sound between the
// devices (cameras, microphones, speakers, synthetic and file sources) and the
// call engine. It is a leaf: the drivers live in its subpackages, and nothing
// here imports anything but the standard library.
package device

import (
	"context"
	"errors"
	"time"
)

// Audio format used throughout dialtone: 48 kHz mono, 20 ms frames, the
// format Opus is happiest with.
const (
	SampleRate   = 48000
	Channels     = 1
	FrameSamples = SampleRate / 50 // 20 ms
	FrameTime    = 20 * time.Millisecond
)

// ErrClosed is returned by sources and sinks used after Close.
var ErrClosed = errors.New("device closed")

// Frame is one picture in I420 (YUV 4:2:0, planar, BT.601 limited range).
// Width and Height are even; the planes are tightly packed: Y has
// Width*Height bytes, U and V (Width/2)*(Height/2) each.
type Frame struct {
	Width, Height int
	Y, U, V       []byte
	// Time is when the picture was captured.
	Time time.Time
}

// NewFrame allocates a frame of the given (even) size.
func NewFrame(w, h int) Frame {
	buf := make([]byte, w*h*3/2)
	return Frame{Width: w, Height: h, Y: buf[:w*h], U: buf[w*h : w*h*5/4], V: buf[w*h*5/4:]}
}

// VideoSource delivers pictures in real time.
type VideoSource interface {
	// ReadFrame blocks until the next picture is ready. The planes stay valid
	// until the next call to ReadFrame.
	ReadFrame(ctx context.Context) (Frame, error)
	Close() error
}

// VideoSink receives decoded pictures. It must not keep the planes after it
// returns; it copies what it needs.
type VideoSink interface {
	WriteFrame(f Frame) error
}

// AudioSource delivers 20 ms frames of 48 kHz mono PCM, paced in real time.
type AudioSource interface {
	// ReadAudio blocks until pcm (len FrameSamples) is filled.
	ReadAudio(ctx context.Context, pcm []int16) error
	Close() error
}

// AudioSink plays 20 ms frames of 48 kHz mono PCM.
type AudioSink interface {
	WriteAudio(pcm []int16) error
	Close() error
}
