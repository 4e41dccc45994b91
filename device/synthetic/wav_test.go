package synthetic

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dialtone/dialtone/device"
)

func wavBytes(t testing.TB, rate, channels int, samples []int16) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteWAV(&buf, rate, channels, samples); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readAll(t *testing.T, src device.AudioSource, frames int) []int16 {
	t.Helper()
	return readTone(t, src, frames)
}

func TestWAVMonoExactAndLoops(t *testing.T) {
	ramp := make([]int16, 1000)
	for i := range ramp {
		ramp[i] = int16(i*37 - 18000)
	}
	path := writeFile(t, "ramp.wav", wavBytes(t, 48000, 1, ramp))
	synctest.Test(t, func(t *testing.T) {
		a, err := OpenWAV(path)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		start := time.Now()
		got := readAll(t, a, 3)
		if d := time.Since(start); d != 2*device.FrameTime {
			t.Errorf("3 frames took %v, want 40ms", d)
		}
		for i, v := range got {
			if v != ramp[i%len(ramp)] {
				t.Fatalf("sample %d = %d, want %d", i, v, ramp[i%len(ramp)])
			}
		}
	})
}

func TestWAVResampleAndDownmix(t *testing.T) {
	tests := []struct {
		rate, channels int
		hz             float64
	}{
		{44100, 2, 1000}, {8000, 1, 440}, {16000, 2, 300}, {96000, 1, 1000}, {48000, 2, 440},
	}
	for _, tt := range tests {
		t.Run(itoa(tt.rate)+"/"+itoa(tt.channels), func(t *testing.T) {
			// 0.5 s of file, so a second of playback crosses the loop;
			// a whole number of cycles keeps the seam smooth. The second
			// channel is silent, so downmixing halves the level.
			n := tt.rate / 2
			s := make([]int16, n*tt.channels)
			for i := range n {
				s[i*tt.channels] = int16(20000 * math.Sin(2*math.Pi*tt.hz*float64(i)/float64(tt.rate)))
			}
			path := writeFile(t, "t.wav", wavBytes(t, tt.rate, tt.channels, s))
			synctest.Test(t, func(t *testing.T) {
				a, err := OpenWAV(path)
				if err != nil {
					t.Fatal(err)
				}
				defer a.Close()
				pcm := readAll(t, a, 50)
				if f := DominantFrequency(pcm, device.SampleRate); math.Abs(f-tt.hz) > 5 {
					t.Errorf("played %v Hz, want %v", f, tt.hz)
				}
				peak := 0
				for _, v := range pcm {
					peak = max(peak, int(v))
				}
				want := 20000 / tt.channels
				if peak < want*9/10 || peak > want*11/10 {
					t.Errorf("peak %d, want about %d", peak, want)
				}
			})
		})
	}
}

// extensible builds a WAVE_FORMAT_EXTENSIBLE header around data.
func extensible(subTag uint16, bits int, data []byte) []byte {
	le := binary.LittleEndian
	fmtc := make([]byte, 40)
	le.PutUint16(fmtc[0:], 0xFFFE)
	le.PutUint16(fmtc[2:], 1)
	le.PutUint32(fmtc[4:], 48000)
	le.PutUint32(fmtc[8:], 96000)
	le.PutUint16(fmtc[12:], 2)
	le.PutUint16(fmtc[14:], uint16(bits))
	le.PutUint16(fmtc[16:], 22)
	le.PutUint16(fmtc[24:], subTag)
	var b bytes.Buffer
	b.WriteString("RIFF\x00\x00\x00\x00WAVE")
	b.WriteString("LIST\x03\x00\x00\x00abc\x00") // odd chunk, padded
	b.WriteString("fmt ")
	binary.Write(&b, le, uint32(len(fmtc)))
	b.Write(fmtc)
	b.WriteString("data\xff\xff\xff\xff") // streaming writer: unknown length
	b.Write(data)
	return b.Bytes()
}

func TestWAVExtensibleAndOversizedData(t *testing.T) {
	a, err := OpenWAV(writeFile(t, "x.wav", extensible(1, 16, []byte{1, 0, 2, 0, 3})))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	pcm := make([]int16, 5)
	if err := a.ReadAudio(context.Background(), pcm); err != nil {
		t.Fatal(err)
	}
	if want := []int16{1, 2, 1, 2, 1}; !slicesEqual(pcm, want) {
		t.Errorf("got %v, want %v (odd trailing byte dropped, looped)", pcm, want)
	}
}

func slicesEqual(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWAVRejects(t *testing.T) {
	good := wavBytes(t, 48000, 1, []int16{1, 2, 3})
	patch := func(off int, v uint16) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint16(b[off:], v)
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "truncated RIFF"},
		{"not riff", []byte("YUV4MPEG2 W2 H2 F25:1\n"), "not a RIFF WAVE"},
		{"float", patch(20, 3), "format tag 0x3"},
		{"8-bit", patch(34, 8), "8-bit samples"},
		{"24-bit", patch(34, 24), "24-bit samples"},
		{"no channels", patch(22, 0), "0 channels"},
		{"9 channels", patch(22, 9), "9 channels"},
		{"rate 0", patch(24, 0), "sample rate 0"},
		{"block align", patch(32, 4), "block align 4"},
		{"header only", good[:44], "no audio data"},
		{"truncated fmt", good[:30], "truncated fmt"},
		{"no data chunk", good[:36], "no data chunk"},
		{"data before fmt", append([]byte("RIFF\x00\x00\x00\x00WAVEdata\x02\x00\x00\x00ab"), good[12:]...), "data chunk before fmt"},
		{"huge fmt", append([]byte("RIFF\x00\x00\x00\x00WAVEfmt \x00\x00\x00\x01"), good[12:]...), "fmt chunk of"},
		{"extensible float", extensible(3, 16, []byte{0, 0}), "format tag 0x3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := OpenWAV(writeFile(t, "bad.wav", tt.data))
			if err == nil {
				a.Close()
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want ErrFormat containing %q", err, tt.want)
			}
		})
	}
	if _, err := OpenWAV(filepath.Join(t.TempDir(), "missing.wav")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestWAVWriterRecordsTone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recorded []int16
	synctest.Test(t, func(t *testing.T) {
		w, err := NewWAVWriter(f)
		if err != nil {
			t.Fatal(err)
		}
		tone, _ := NewTone(1000)
		recorded = readTone(t, tone, 5)
		for i := 0; i < len(recorded); i += device.FrameSamples {
			if err := w.WriteAudio(recorded[i : i+device.FrameSamples]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteAudio(recorded[:10]); !errors.Is(err, device.ErrClosed) {
			t.Errorf("WriteAudio after Close: %v", err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		a, err := OpenWAV(path)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if got := readAll(t, a, 5); !slicesEqual(got, recorded) {
			t.Error("played back samples differ from those recorded")
		}
	})
}

func TestWAVCloseUnblocks(t *testing.T) {
	path := writeFile(t, "s.wav", wavBytes(t, 48000, 1, make([]int16, 100)))
	synctest.Test(t, func(t *testing.T) {
		a, err := OpenWAV(path)
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, device.FrameSamples)
		a.ReadAudio(context.Background(), pcm)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := a.ReadAudio(ctx, pcm); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled ctx: %v", err)
		}
		errc := make(chan error)
		go func() { errc <- a.ReadAudio(context.Background(), pcm) }()
		synctest.Wait()
		a.Close()
		if err := <-errc; !errors.Is(err, device.ErrClosed) {
			t.Errorf("ReadAudio during Close: %v", err)
		}
	})
}

func FuzzWAVHeader(f *testing.F) {
	f.Add([]byte("RIFF\x28\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\xbb\x00\x00\x00\x77\x01\x00\x02\x00\x10\x00data\x04\x00\x00\x00\x01\x00\x02\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := parseWAVHeader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		if h.dataLen <= 0 || h.dataOff+h.dataLen > int64(len(data)) || h.dataLen%int64(2*h.channels) != 0 {
			t.Fatalf("accepted %+v for %d bytes", h, len(data))
		}
		a, err := newWAV(bytes.NewReader(data), int64(len(data)), nil, nil)
		if err != nil {
			t.Fatalf("header accepted but source failed: %v", err)
		}
		pcm := make([]int16, 64)
		a.pace.clock = instantClock{}
		if err := a.ReadAudio(context.Background(), pcm); err != nil {
			t.Fatal(err)
		}
	})
}

// instantClock never waits.
type instantClock struct{}

func (instantClock) Now() time.Time { return time.Unix(0, 0) }
func (instantClock) After(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	c <- time.Unix(0, 0)
	return c
}
