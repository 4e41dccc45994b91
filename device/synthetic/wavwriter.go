package synthetic

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/dialtone/dialtone/device"
)

// wavHeaderBytes builds a 44-byte canonical header for 16-bit PCM.
func wavHeaderBytes(rate, channels int, dataLen uint32) []byte {
	b := make([]byte, 44)
	le := binary.LittleEndian
	copy(b[0:], "RIFF")
	le.PutUint32(b[4:], 36+dataLen)
	copy(b[8:], "WAVEfmt ")
	le.PutUint32(b[16:], 16)
	le.PutUint16(b[20:], 1)
	le.PutUint16(b[22:], uint16(channels))
	le.PutUint32(b[24:], uint32(rate))
	le.PutUint32(b[28:], uint32(rate*channels*2))
	le.PutUint16(b[32:], uint16(channels*2))
	le.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	le.PutUint32(b[40:], dataLen)
	return b
}

func pcmBytes(samples []int16) []byte {
	b := make([]byte, 2*len(samples))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}

// WriteWAV writes a whole 16-bit PCM WAV file; samples are interleaved by
// channel.
func WriteWAV(w io.Writer, sampleRate, channels int, samples []int16) error {
	if sampleRate <= 0 || channels <= 0 || channels > wavMaxChannels || len(samples)%channels != 0 || 2*len(samples) > math.MaxUint32-36 {
		return fmt.Errorf("wav writer: bad rate %d, channels %d or length %d", sampleRate, channels, len(samples))
	}
	if _, err := w.Write(wavHeaderBytes(sampleRate, channels, uint32(2*len(samples)))); err != nil {
		return fmt.Errorf("writing wav header: %w", err)
	}
	if _, err := w.Write(pcmBytes(samples)); err != nil {
		return fmt.Errorf("writing wav data: %w", err)
	}
	return nil
}

// WAVWriter records 48 kHz mono audio as a WAV file. It is an AudioSink. The
// header's lengths are filled in by Close, which does not close w.
type WAVWriter struct {
	mu     sync.Mutex
	w      io.WriteSeeker
	n      uint32 // data bytes written
	closed bool
}

var _ device.AudioSink = (*WAVWriter)(nil)

// NewWAVWriter writes a provisional header to w.
func NewWAVWriter(w io.WriteSeeker) (*WAVWriter, error) {
	if _, err := w.Write(wavHeaderBytes(device.SampleRate, device.Channels, 0)); err != nil {
		return nil, fmt.Errorf("writing wav header: %w", err)
	}
	return &WAVWriter{w: w}, nil
}

// WriteAudio appends pcm.
func (ww *WAVWriter) WriteAudio(pcm []int16) error {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	if ww.closed {
		return device.ErrClosed
	}
	if uint64(ww.n)+2*uint64(len(pcm)) > math.MaxUint32-36 {
		return fmt.Errorf("wav writer: file would pass 4 GB")
	}
	if _, err := ww.w.Write(pcmBytes(pcm)); err != nil {
		return fmt.Errorf("writing wav data: %w", err)
	}
	ww.n += uint32(2 * len(pcm))
	return nil
}

// Close writes the final lengths into the header.
func (ww *WAVWriter) Close() error {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	if ww.closed {
		return nil
	}
	ww.closed = true
	if _, err := ww.w.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("finishing wav header: %w", err)
	}
	if _, err := ww.w.Write(wavHeaderBytes(device.SampleRate, device.Channels, ww.n)); err != nil {
		return fmt.Errorf("finishing wav header: %w", err)
	}
	_, err := ww.w.Seek(0, io.SeekEnd)
	return err
}
