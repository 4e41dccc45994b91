package synthetic

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dialtone/dialtone/device"
)

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// patternY4M returns a y4m stream of n pattern frames numbered 0…n-1.
func patternY4M(t testing.TB, w, h, n int, trailer string) []byte {
	t.Helper()
	var buf bytes.Buffer
	yw, err := NewY4MWriter(&buf, w, h, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	f := device.NewFrame(w, h)
	for i := range n {
		drawPattern(f, uint32(i))
		EncodePattern(f, uint32(i), testTime)
		if err := yw.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	buf.WriteString(trailer)
	return buf.Bytes()
}

func TestY4MPlaysAndLoops(t *testing.T) {
	for name, trailer := range map[string]string{"clean": "", "truncated last frame": "FRAME\nxyz"} {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, "p.y4m", patternY4M(t, 160, 120, 3, trailer))
			synctest.Test(t, func(t *testing.T) {
				v, err := OpenY4M(path)
				if err != nil {
					t.Fatal(err)
				}
				defer v.Close()
				if w, h := v.Size(); w != 160 || h != 120 || v.FPS() != 10 {
					t.Fatalf("size %dx%d at %v fps", w, h, v.FPS())
				}
				start := time.Now()
				for i := range 7 {
					f, err := v.ReadFrame(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					seq, _, ok := DecodePattern(f)
					if !ok || seq != uint32(i%3) {
						t.Fatalf("frame %d: seq %d ok %v, want %d", i, seq, ok, i%3)
					}
					if want := start.Add(time.Duration(i) * 100 * time.Millisecond); !f.Time.Equal(want) {
						t.Fatalf("frame %d at %v, want %v", i, f.Time.Sub(start), want.Sub(start))
					}
				}
			})
		})
	}
}

func TestY4MOddSizeAndParams(t *testing.T) {
	// 5×3, C420mpeg2, with frame parameters: chroma is 3×2.
	data := []byte("YUV4MPEG2 W5 H3 F30000:1001 It A0:0 C420mpeg2 XCOMMENT=hi\nFRAME Ixyz\n")
	data = append(data, []byte("abcdefghijklmnoUVWXYZuvwxyz")...)
	v, err := OpenY4M(writeFile(t, "odd.y4m", data))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	f, err := v.ReadFrame(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != 4 || f.Height != 2 || string(f.Y) != "abcdfghi" || string(f.U) != "UV" || string(f.V) != "uv" {
		t.Errorf("got %dx%d Y=%q U=%q V=%q", f.Width, f.Height, f.Y, f.U, f.V)
	}
	if fps := v.FPS(); fps < 29.97 || fps > 29.98 {
		t.Errorf("fps %v", fps)
	}
}

func TestY4MRejects(t *testing.T) {
	frame := "FRAME\n" + strings.Repeat("x", 6)
	tests := []struct{ name, data, want string }{
		{"empty", "", "truncated header"},
		{"not y4m", "RIFF....WAVE\n", "not a YUV4MPEG2"},
		{"444", "YUV4MPEG2 W2 H2 C444\n", "colour space \"444\""},
		{"10-bit", "YUV4MPEG2 W2 H2 C420p10\n", "not supported"},
		{"mono", "YUV4MPEG2 W2 H2 Cmono\n", "not supported"},
		{"no width", "YUV4MPEG2 H2\n", "lacks width"},
		{"zero", "YUV4MPEG2 W0 H2\n", "out of range"},
		{"huge", "YUV4MPEG2 W8192 H8192\n", "too large"},
		{"too big number", "YUV4MPEG2 W99999999999999999999 H2\n", "not a number"},
		{"bad rate", "YUV4MPEG2 W2 H2 F30\n", "want N:D"},
		{"zero rate", "YUV4MPEG2 W2 H2 F0:1\n", "out of range"},
		{"absurd rate", "YUV4MPEG2 W2 H2 F100000:1\n", "fps out of range"},
		{"endless header", "YUV4MPEG2 W2 H2 X" + strings.Repeat("a", 5000), "longer than"},
		{"no frames", "YUV4MPEG2 W2 H2\n", "no complete frame"},
		{"short frame", "YUV4MPEG2 W2 H2\nFRAME\nxx", "no complete frame"},
		{"bad frame header", "YUV4MPEG2 W2 H2\nFRAMEX\n" + frame, "bad frame header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := OpenY4M(writeFile(t, "bad.y4m", []byte(tt.data)))
			if err == nil {
				v.Close()
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want ErrFormat containing %q", err, tt.want)
			}
		})
	}
	if _, err := OpenY4M(filepath.Join(t.TempDir(), "missing.y4m")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestY4MClose(t *testing.T) {
	path := writeFile(t, "p.y4m", patternY4M(t, 64, 32, 1, ""))
	synctest.Test(t, func(t *testing.T) {
		v, err := OpenY4M(path)
		if err != nil {
			t.Fatal(err)
		}
		v.ReadFrame(context.Background())
		errc := make(chan error)
		go func() {
			_, err := v.ReadFrame(context.Background())
			errc <- err
		}()
		synctest.Wait()
		v.Close()
		if err := <-errc; !errors.Is(err, device.ErrClosed) {
			t.Errorf("ReadFrame during Close: %v", err)
		}
		if _, err := v.ReadFrame(context.Background()); !errors.Is(err, device.ErrClosed) {
			t.Errorf("ReadFrame after Close: %v", err)
		}
	})
}

type nopCloser struct{ io.ReadSeeker }

func (nopCloser) Close() error { return nil }

func FuzzY4MHeader(f *testing.F) {
	f.Add([]byte("YUV4MPEG2 W4 H2 F25:1 C420jpeg\nFRAME\n0123456789ab"))
	f.Add([]byte("YUV4MPEG2 W3 H3 F30000:1001 Ip A1:1\nFRAME\n0123456789abcdefghijklmnopq"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if h, err := parseY4MHeader(bufio.NewReader(bytes.NewReader(data))); err == nil {
			if h.width < 2 || h.height < 2 || h.frameLen() > y4mMaxFrameLen || h.period() <= 0 {
				t.Fatalf("accepted %+v", h)
			}
		}
		v, err := newY4M(nopCloser{bytes.NewReader(data)}, nil)
		if err != nil {
			return
		}
		// Play past the end to exercise the loop.
		for range 3 {
			if err := v.next(); err != nil {
				break
			}
			v.unpack()
		}
	})
}
