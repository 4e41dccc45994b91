package videopane

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/device"
)

// sixelImage is a sixel image as a terminal would draw it.
type sixelImage struct {
	row, col int // the cursor position it was drawn at, 0-based
	w, h     int // the raster attributes' size
	px       []uint32
	set      []bool // which pixels some sixel set
	colours  int    // palette registers defined
}

// decodeSixel plays a cursor position and one sixel image like a
// terminal, failing on anything the encoder should not write: palette
// colours out of range, pixels past the raster size, unknown commands.
func decodeSixel(t *testing.T, s string) sixelImage {
	t.Helper()
	var im sixelImage
	m := regexp.MustCompile(`^\x1b\[(\d+);(\d+)H\x1bP0;1;0q"1;1;(\d+);(\d+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no cursor position and sixel header: %q", s[:min(40, len(s))])
	}
	im.row, _ = strconv.Atoi(m[1])
	im.col, _ = strconv.Atoi(m[2])
	im.row--
	im.col--
	im.w, _ = strconv.Atoi(m[3])
	im.h, _ = strconv.Atoi(m[4])
	body, ok := strings.CutSuffix(s[len(m[0]):], "\x1b\\")
	if !ok {
		t.Fatal("sixel image not terminated by ST")
	}
	im.px, im.set = make([]uint32, im.w*im.h), make([]bool, im.w*im.h)
	pal := map[int]uint32{}
	num := func(i int) (int, int) {
		j := i
		for j < len(body) && body[j] >= '0' && body[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(body[i:j])
		if err != nil {
			t.Fatalf("number expected at %d: %q", i, body[i:min(len(body), i+10)])
		}
		return n, j
	}
	x, band, cur := 0, 0, -1
	for i := 0; i < len(body); {
		switch c := body[i]; {
		case c == '#':
			n, j := num(i + 1)
			if j < len(body) && body[j] == ';' {
				var v [4]int
				for k := range v {
					v[k], j = num(j + 1)
					if k < 3 && (j >= len(body) || body[j] != ';') {
						t.Fatalf("colour %d cut short", n)
					}
				}
				if v[0] != 2 || v[1] > 100 || v[2] > 100 || v[3] > 100 || n > 255 {
					t.Fatalf("colour %d = %v", n, v)
				}
				ch := func(p int) uint32 { return uint32((p*255 + 50) / 100) }
				pal[n] = ch(v[1])<<16 | ch(v[2])<<8 | ch(v[3])
			} else if _, ok := pal[n]; !ok {
				t.Fatalf("colour %d used before it is defined", n)
			}
			cur, i = n, j
		case c == '$':
			x, i = 0, i+1
		case c == '-':
			x, band, i = 0, band+1, i+1
		case c == '!' || c >= '?' && c <= '~':
			n := 1
			if c == '!' {
				n, i = num(i + 1)
				if n < 4 {
					t.Errorf("a repeat of %d is longer than the sixels", n)
				}
			}
			v := body[i] - '?'
			if body[i] < '?' || body[i] > '~' {
				t.Fatalf("not a sixel after repeat: %q", body[i])
			}
			for range n {
				if x >= im.w {
					t.Fatalf("sixel past the image's width %d", im.w)
				}
				for r := range 6 {
					if v&(1<<r) == 0 {
						continue
					}
					y := band*6 + r
					if y >= im.h {
						t.Fatalf("sixel row %d past the image's height %d", y, im.h)
					}
					if cur < 0 {
						t.Fatal("sixel before any colour")
					}
					im.px[y*im.w+x], im.set[y*im.w+x] = pal[cur], true
				}
				x++
			}
			i++
		default:
			t.Fatalf("unexpected %q in sixel data at %d", c, i)
		}
	}
	im.colours = len(pal)
	return im
}

// psnrRGB is the PSNR of got against want, both 0xRRGGBB.
func psnrRGB(got, want []uint32) float64 {
	var se float64
	for i, c := range got {
		w := want[i]
		for _, sh := range [3]uint{16, 8, 0} {
			d := float64(int(c>>sh&255) - int(w>>sh&255))
			se += d * d
		}
	}
	mse := se / float64(3*len(got))
	return 10 * math.Log10(255*255/mse)
}

// TestSixelRoundTrip: decoded as a terminal would, the image covers the
// rectangle's pixels exactly, every pixel set, and is close to the scaled
// frame, with both palettes.
func TestSixelRoundTrip(t *testing.T) {
	f := movingFrame(320, 240, 3)
	at := Rect{Col: 4, Row: 2, Cols: 30, Rows: 11}
	for _, tc := range []struct {
		pal     SixelPalette
		minPSNR float64
	}{{SixelAdaptive, 33}, {SixelFixed, 20}} {
		s := &Sixel{CellW: 7, CellH: 14, Palette: tc.pal}
		im := decodeSixel(t, string(s.Append(nil, f, at)))
		if im.row != 2 || im.col != 4 || im.w != 30*7 || im.h != 11*14 {
			t.Fatalf("image at %d,%d of %dx%d", im.row, im.col, im.w, im.h)
		}
		for i, ok := range im.set {
			if !ok {
				t.Fatalf("pixel %d,%d not set", i%im.w, i/im.w)
			}
		}
		got := psnrRGB(im.px, s.rgb)
		t.Logf("palette %d: %d colours, PSNR %.1f dB against the scaled frame", tc.pal, im.colours, got)
		if got < tc.minPSNR {
			t.Errorf("palette %d: PSNR %.1f dB, want at least %.0f", tc.pal, got, tc.minPSNR)
		}
	}
}

// TestSixelGolden pins the escape sequences at fixed sizes.
func TestSixelGolden(t *testing.T) {
	var b strings.Builder
	for _, tc := range []struct {
		name string
		pal  SixelPalette
		at   Rect
	}{
		{"adaptive", SixelAdaptive, Rect{Col: 1, Row: 1, Cols: 4, Rows: 2}},
		{"fixed", SixelFixed, Rect{Col: 0, Row: 3, Cols: 3, Rows: 1}},
	} {
		s := &Sixel{CellW: 4, CellH: 8, Palette: tc.pal}
		fmt.Fprintf(&b, "%s %+v:\n%q\n", tc.name, tc.at, s.Append(nil, movingFrame(32, 24, 1), tc.at))
	}
	golden(t, "sixel.golden", b.String())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (-update rewrites it):\ngot  %q\nwant %q", name, got, want)
	}
}

func BenchmarkSixel(b *testing.B) {
	frames := make([]device.Frame, 8)
	for i := range frames {
		frames[i] = movingFrame(640, 480, i)
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}, {240, 70}} {
		for _, pal := range []SixelPalette{SixelAdaptive, SixelFixed} {
			b.Run(fmt.Sprintf("%dx%d/%d", size[0], size[1], pal), func(b *testing.B) {
				at := Fit(640, 480, size[0], size[1])
				s := &Sixel{CellW: 6, CellH: 13, Palette: pal}
				var buf []byte
				total := 0
				for i := 0; b.Loop(); i++ {
					buf = s.Append(buf[:0], frames[i%len(frames)], at)
					total += len(buf)
				}
				b.ReportMetric(float64(total)/float64(b.N), "B/frame")
			})
		}
	}
}
