//go:build !cgo

package audio

import (
	"context"

	"github.com/dialtone/dialtone/device"
)

// This file stands in for PortAudio in a binary built with CGO_ENABLED=0 (the
// static server): the API is the same, and every device is missing.

// Devices returns ErrNoPortAudio.
func Devices() ([]Info, error) { return nil, ErrNoPortAudio }

// Input is a microphone; without cgo there are none.
type Input struct{}

var _ device.AudioSource = (*Input)(nil)

// OpenInput returns ErrNoPortAudio.
func OpenInput(spec string) (*Input, error) { return nil, ErrNoPortAudio }

// NewInput returns ErrNoPortAudio.
func NewInput(cfg Config) (*Input, error) { return nil, ErrNoPortAudio }

// ReadAudio returns ErrNoPortAudio.
func (*Input) ReadAudio(ctx context.Context, pcm []int16) error { return ErrNoPortAudio }

// Info is empty.
func (*Input) Info() Info { return Info{} }

// Stats is empty.
func (*Input) Stats() Stats { return Stats{} }

// Close does nothing.
func (*Input) Close() error { return nil }

// Output is a speaker; without cgo there are none.
type Output struct{}

var _ device.AudioSink = (*Output)(nil)

// OpenOutput returns ErrNoPortAudio.
func OpenOutput(spec string) (*Output, error) { return nil, ErrNoPortAudio }

// NewOutput returns ErrNoPortAudio.
func NewOutput(cfg Config) (*Output, error) { return nil, ErrNoPortAudio }

// WriteAudio returns ErrNoPortAudio.
func (*Output) WriteAudio(pcm []int16) error { return ErrNoPortAudio }

// Info is empty.
func (*Output) Info() Info { return Info{} }

// Stats is empty.
func (*Output) Stats() Stats { return Stats{} }

// Close does nothing.
func (*Output) Close() error { return nil }
