package videopane

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/device"
)

// kittyCommands splits kitty graphics commands into their keys and
// payloads, failing on anything between them but a cursor position.
func kittyCommands(t *testing.T, s string) (keys []string, payload string) {
	t.Helper()
	s = regexp.MustCompile(`^\x1b\[\d+;\d+H`).ReplaceAllString(s, "")
	for s != "" {
		if !strings.HasPrefix(s, "\x1b_G") {
			t.Fatalf("not a graphics command: %q", s[:min(20, len(s))])
		}
		end := strings.Index(s, "\x1b\\")
		if end < 0 {
			t.Fatalf("unterminated command %q", s[:min(40, len(s))])
		}
		k, p, _ := strings.Cut(s[3:end], ";")
		if len(p) > kittyChunk {
			t.Fatalf("chunk of %d bytes", len(p))
		}
		keys = append(keys, k)
		payload += p
		s = s[end+2:]
	}
	return keys, payload
}

// TestKittyRoundTrip: the payload, chunked and decoded as a terminal
// would, is the frame's pixels at the frame's size, image and placement id
// the same every frame, every chunk but the last marked m=1.
func TestKittyRoundTrip(t *testing.T) {
	f := movingFrame(96, 72, 2) // 20 KB of RGB: several chunks
	for _, raw := range []bool{false, true} {
		k := &Kitty{Raw: raw}
		for range 2 {
			out := string(k.Append(nil, 7, f, Rect{Col: 3, Row: 2, Cols: 20, Rows: 8}))
			if !strings.HasPrefix(out, "\x1b[3;4H") {
				t.Fatalf("does not start at the rectangle: %q", out[:10])
			}
			keys, payload := kittyCommands(t, out)
			want := "a=T,f=24,t=d,q=2,C=1,z=1,o=z,s=96,v=72,i=7,p=1,c=20,r=8,m=1"
			if raw {
				want = strings.Replace(want, ",o=z", "", 1)
			}
			if keys[0] != want {
				t.Errorf("first command %q, want %q", keys[0], want)
			}
			for i, kk := range keys[1:] {
				m := "q=2,m=1"
				if i == len(keys)-2 {
					m = "q=2,m=0"
				}
				if kk != m {
					t.Errorf("chunk %d: %q, want %q", i+1, kk, m)
				}
			}
			data, err := base64.StdEncoding.DecodeString(payload)
			if err != nil {
				t.Fatal(err)
			}
			if !raw {
				zr, err := zlib.NewReader(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				if data, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if len(data) != 96*72*3 {
				t.Fatalf("%d bytes of RGB, want %d", len(data), 96*72*3)
			}
			// A pixel checked against the colour conversion.
			x, y := 40, 30
			r, g, b := yuvToRGB(f.Y[y*96+x], f.U[y/2*48+x/2], f.V[y/2*48+x/2])
			if got := data[(y*96+x)*3 : (y*96+x)*3+3]; got[0] != r || got[1] != g || got[2] != b {
				t.Errorf("pixel %d,%d is %v, want %d %d %d", x, y, got, r, g, b)
			}
		}
	}
}

// TestKittyGolden pins the escape sequences for a tiny frame.
// Refresh with -update.
func TestKittyGolden(t *testing.T) {
	f := frameOf(4, 2, func(x, y int) (int, int, int) { return x * 60, y * 200, 100 })
	var got []byte
	got = (&Kitty{Raw: true}).Append(got, 1, f, Rect{Col: 0, Row: 0, Cols: 4, Rows: 1})
	got = append(got, '\n')
	got = KittyDelete(got, 1)
	path := filepath.Join("testdata", "kitty.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("output differs from %s:\n%q\nwant:\n%q", path, got, want)
	}
}

// BenchmarkKitty is one picture for the kitty graphics protocol: RGB,
// zlib, base64, chunks. B/frame is what reaches the terminal.
func BenchmarkKitty(b *testing.B) {
	for _, size := range [][2]int{{320, 240}, {640, 480}} {
		for _, raw := range []bool{false, true} {
			name := fmt.Sprintf("%dx%d/zlib", size[0], size[1])
			if raw {
				name = fmt.Sprintf("%dx%d/raw", size[0], size[1])
			}
			b.Run(name, func(b *testing.B) {
				frames := []device.Frame{movingFrame(size[0], size[1], 0), movingFrame(size[0], size[1], 1)}
				k := &Kitty{Raw: raw}
				var buf []byte
				total := 0
				for i := 0; b.Loop(); i++ {
					buf = k.Append(buf[:0], 1, frames[i%2], Rect{Cols: 160, Rows: 48})
					total += len(buf)
				}
				b.ReportMetric(float64(total)/float64(b.N), "B/frame")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*30/1e9*100, "cpu%@30fps")
			})
		}
	}
}
