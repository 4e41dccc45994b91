package synthetic

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/dialtone/dialtone/device"
)

const (
	wavMaxChunks   = 256
	wavMaxChannels = 8
	wavMinRate     = 1000
	wavMaxRate     = 768000
)

type wavHeader struct {
	rate, channels   int
	dataOff, dataLen int64 // dataLen is whole sample frames only
}

func wavErr(format string, a ...any) error {
	return fmt.Errorf("wav: %s: %w", fmt.Sprintf(format, a...), ErrFormat)
}

// parseWAVHeader walks the RIFF chunks of a file of the given size up to the
// data chunk. A data chunk that claims more than the file holds (as streaming
// writers leave it) is cut to what is there.
func parseWAVHeader(r io.ReaderAt, size int64) (wavHeader, error) {
	var h wavHeader
	var riff [12]byte
	if _, err := r.ReadAt(riff[:], 0); err != nil {
		return h, wavErr("truncated RIFF header")
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return h, wavErr("not a RIFF WAVE file")
	}
	haveFmt := false
	off := int64(12)
	for range wavMaxChunks {
		var ch [8]byte
		if _, err := r.ReadAt(ch[:], off); err != nil {
			return h, wavErr("no data chunk")
		}
		id, n := string(ch[:4]), int64(binary.LittleEndian.Uint32(ch[4:]))
		body := off + 8
		switch id {
		case "fmt ":
			if err := h.parseFmt(r, body, n); err != nil {
				return h, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return h, wavErr("data chunk before fmt chunk")
			}
			block := int64(2 * h.channels)
			h.dataOff, h.dataLen = body, min(n, max(size-body, 0))/block*block
			if h.dataLen == 0 {
				return h, wavErr("no audio data")
			}
			return h, nil
		}
		off = body + n + n&1 // chunks are padded to even length
	}
	return h, wavErr("no data chunk in the first %d chunks", wavMaxChunks)
}

// parseFmt accepts 16-bit integer PCM, plain or WAVE_FORMAT_EXTENSIBLE.
func (h *wavHeader) parseFmt(r io.ReaderAt, off, n int64) error {
	if n < 16 || n > 1024 {
		return wavErr("fmt chunk of %d bytes", n)
	}
	b := make([]byte, n)
	if _, err := r.ReadAt(b, off); err != nil {
		return wavErr("truncated fmt chunk")
	}
	le := binary.LittleEndian
	tag, channels, rate := le.Uint16(b[0:]), int(le.Uint16(b[2:])), int64(le.Uint32(b[4:]))
	blockAlign, bitsPer := int(le.Uint16(b[12:])), int(le.Uint16(b[14:]))
	if tag == 0xFFFE { // extensible: the real tag opens the sub-format GUID
		if n < 40 {
			return wavErr("extensible fmt chunk of %d bytes", n)
		}
		tag = le.Uint16(b[24:])
	}
	switch {
	case tag != 1:
		return wavErr("format tag %#x not supported (want integer PCM)", tag)
	case bitsPer != 16:
		return wavErr("%d-bit samples not supported (want 16-bit PCM)", bitsPer)
	case channels < 1 || channels > wavMaxChannels:
		return wavErr("%d channels not supported (want 1…%d)", channels, wavMaxChannels)
	case rate < wavMinRate || rate > wavMaxRate:
		return wavErr("sample rate %d out of range %d…%d", rate, wavMinRate, wavMaxRate)
	case blockAlign != 2*channels:
		return wavErr("block align %d, want %d", blockAlign, 2*channels)
	}
	h.channels, h.rate = channels, int(rate)
	return nil
}

// WAV is an AudioSource that plays a 16-bit PCM WAV file in real time as
// 48 kHz mono, from the start again after the end. Channels are averaged;
// other sample rates are converted by linear interpolation, which is clean
// for upsampling and for speech, but folds content above 24 kHz back into
// the band when the file is sampled faster than 48 kHz.
type WAV struct {
	hdr    wavHeader
	closer io.Closer
	data   *io.SectionReader
	r      *bufio.Reader
	frame  []byte

	// Resampler state: the output lies at pos ∈ [0, 1) between s0 and s1.
	step, pos float64
	s0, s1    float64

	pace      pacer
	mu        sync.Mutex // data and r, against Close
	closeOnce sync.Once
	done      chan struct{}
}

var _ device.AudioSource = (*WAV)(nil)

// OpenWAV opens a WAV file for playback.
func OpenWAV(path string, opts ...Option) (*WAV, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening wav: %w", err)
	}
	fi, err := f.Stat()
	if err == nil {
		var a *WAV
		if a, err = newWAV(f, fi.Size(), f, opts); err == nil {
			return a, nil
		}
	}
	f.Close()
	return nil, fmt.Errorf("opening %s: %w", path, err)
}

func newWAV(ra io.ReaderAt, size int64, c io.Closer, opts []Option) (*WAV, error) {
	hdr, err := parseWAVHeader(ra, size)
	if err != nil {
		return nil, err
	}
	data := io.NewSectionReader(ra, hdr.dataOff, hdr.dataLen)
	a := &WAV{
		hdr:    hdr,
		closer: c,
		data:   data,
		r:      bufio.NewReaderSize(data, 1<<14),
		frame:  make([]byte, 2*hdr.channels),
		step:   float64(hdr.rate) / device.SampleRate,
		pace:   pacer{clock: buildOptions(opts).clock, period: device.FrameTime, maxLag: 200 * time.Millisecond},
		done:   make(chan struct{}),
	}
	if a.s0, err = a.sample(); err == nil {
		a.s1, err = a.sample()
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// SampleRate and Channels describe the file, before conversion.
func (a *WAV) SampleRate() int { return a.hdr.rate }

// Channels is the file's channel count, before downmixing.
func (a *WAV) Channels() int { return a.hdr.channels }

// sample reads the next source sample frame, downmixed, looping at the end.
func (a *WAV) sample() (float64, error) {
	if _, err := io.ReadFull(a.r, a.frame); err != nil {
		if !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("reading wav: %w", err)
		}
		if _, err := a.data.Seek(0, io.SeekStart); err != nil {
			return 0, fmt.Errorf("rewinding wav: %w", err)
		}
		a.r.Reset(a.data)
		if _, err := io.ReadFull(a.r, a.frame); err != nil {
			return 0, fmt.Errorf("reading wav: %w", err)
		}
	}
	sum := 0
	for i := 0; i < len(a.frame); i += 2 {
		sum += int(int16(binary.LittleEndian.Uint16(a.frame[i:])))
	}
	return float64(sum) / float64(a.hdr.channels), nil
}

// ReadAudio waits for the next 20 ms slot and fills pcm.
func (a *WAV) ReadAudio(ctx context.Context, pcm []int16) error {
	if _, err := a.pace.wait(ctx, a.done); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-a.done:
		return device.ErrClosed
	default:
	}
	for i := range pcm {
		for a.pos >= 1 {
			s, err := a.sample()
			if err != nil {
				return err
			}
			a.s0, a.s1, a.pos = a.s1, s, a.pos-1
		}
		v := a.s0 + (a.s1-a.s0)*a.pos
		pcm[i] = int16(max(min(math.Round(v), math.MaxInt16), math.MinInt16))
		a.pos += a.step
	}
	return nil
}

// Close stops playback and closes the file.
func (a *WAV) Close() error {
	var err error
	a.closeOnce.Do(func() {
		close(a.done)
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.closer != nil {
			err = a.closer.Close()
		}
	})
	return err
}
