package videopane

import (
	"math"
	"testing"
)

// TestYUVToRGB checks the integer conversion against the BT.601 formula in
// floating point over a grid of samples.
func TestYUVToRGB(t *testing.T) {
	for y := 0; y < 256; y += 5 {
		for u := 0; u < 256; u += 15 {
			for v := 0; v < 256; v += 15 {
				r, g, b := yuvToRGB(uint8(y), uint8(u), uint8(v))
				c, d, e := float64(y-16), float64(u-128), float64(v-128)
				want := [3]float64{1.164*c + 1.596*e, 1.164*c - 0.392*d - 0.813*e, 1.164*c + 2.017*d}
				for i, got := range [3]uint8{r, g, b} {
					w := math.Max(0, math.Min(255, want[i]))
					if math.Abs(float64(got)-w) > 1.5 {
						t.Fatalf("yuv(%d,%d,%d) channel %d = %d, want %.1f", y, u, v, i, got, w)
					}
				}
			}
		}
	}
}

func TestAnsi256(t *testing.T) {
	tests := []struct {
		name    string
		r, g, b uint8
		want    uint8
	}{
		{"black", 0, 0, 0, 16},
		{"white", 255, 255, 255, 231},
		{"red", 255, 0, 0, 196},
		{"green", 0, 255, 0, 46},
		{"blue", 0, 0, 255, 21},
		{"yellow", 255, 255, 0, 226},
		{"mid grey is a ramp grey", 128, 128, 128, 244},
		{"cube grey exactly", 95, 95, 95, 59},
		{"near black is a ramp grey", 10, 10, 10, 232},
		{"light grey", 238, 238, 238, 255},
		{"dark bluish grey nearer a ramp grey", 50, 50, 60, 237},
		{"mid tone nearer the cube", 100, 150, 200, 68},
		{"orange", 255, 135, 0, 208},
		{"skin tone", 224, 172, 140, 180},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Ansi256(tt.r, tt.g, tt.b); got != tt.want {
				t.Errorf("Ansi256(%d,%d,%d) = %d, want %d", tt.r, tt.g, tt.b, got, tt.want)
			}
		})
	}
}

// TestAnsi256Nearest checks the closed-form choice against a search of the
// whole palette (16–255) on a grid of colours, and the renderer's table
// against it: the table answers for the centre of a 8×8×8 bucket, at most
// √48 ≈ 6.9 away from the colour asked, so its choice may be up to twice
// that further away than the best one.
func TestAnsi256Nearest(t *testing.T) {
	var pal [256][3]int
	for i := 16; i < 232; i++ {
		j := i - 16
		pal[i] = [3]int{cubeLevels[j/36], cubeLevels[j/6%6], cubeLevels[j%6]}
	}
	for i := 232; i < 256; i++ {
		g := 8 + 10*(i-232)
		pal[i] = [3]int{g, g, g}
	}
	lut := ansiLUT()
	const s = 8 - lutBits
	dist := func(i int, r, g, b int) int { return sq(pal[i][0]-r) + sq(pal[i][1]-g) + sq(pal[i][2]-b) }
	for r := 0; r < 256; r += 7 {
		for g := 0; g < 256; g += 7 {
			for b := 0; b < 256; b += 7 {
				best := 16
				for i := 17; i < 256; i++ {
					if dist(i, r, g, b) < dist(best, r, g, b) {
						best = i
					}
				}
				got := int(Ansi256(uint8(r), uint8(g), uint8(b)))
				if dist(got, r, g, b) != dist(best, r, g, b) {
					t.Fatalf("Ansi256(%d,%d,%d) = %d (d=%d), nearest is %d (d=%d)", r, g, b, got, dist(got, r, g, b), best, dist(best, r, g, b))
				}
				tab := int(lut[r>>s<<(2*lutBits)|g>>s<<lutBits|b>>s])
				if math.Sqrt(float64(dist(tab, r, g, b))) > math.Sqrt(float64(dist(best, r, g, b)))+2*math.Sqrt(48) {
					t.Fatalf("table(%d,%d,%d) = %d (d=%d), nearest is %d (d=%d)", r, g, b, tab, dist(tab, r, g, b), best, dist(best, r, g, b))
				}
			}
		}
	}
}

func TestColorBitsKeepsExtremes(t *testing.T) {
	for bits := 1; bits <= 8; bits++ {
		q := buildClamp(bits)
		if q[clampOff] != 0 || q[clampOff+255] != 255 || q[clampOff-50] != 0 || q[clampOff+300] != 255 {
			t.Errorf("bits %d: black/white not kept", bits)
		}
		step := 1 << (8 - bits)
		for c := range 256 {
			if got := int(q[clampOff+c]); !near(got, c, step/2) || (got%step != 0 && got != 255) {
				t.Fatalf("bits %d: %d → %d", bits, c, got)
			}
		}
	}
}
