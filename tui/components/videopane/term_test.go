package videopane

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// vterm is a terminal that understands exactly what the painter may write:
// cursor position and forward, SGR colours, DECSC/DECRC and mode 2026. It
// fails the test on anything else, and on a frame not wrapped whole in a
// synchronized update.
type vterm struct {
	t      *testing.T
	w, h   int
	cells  []cell
	x, y   int
	fg, bg colour
	writes int // cells written
}

func newVterm(t *testing.T, w, h int) *vterm {
	v := &vterm{t: t, w: w, h: h, cells: make([]cell, w*h), fg: deflt, bg: deflt}
	for i := range v.cells {
		v.cells[i] = cell{up: deflt, lo: deflt, glyph: ' '}
	}
	return v
}

func (v *vterm) play(s string) {
	v.t.Helper()
	if s == "" {
		return
	}
	if !strings.HasPrefix(s, syncBegin) || !strings.HasSuffix(s, syncEnd) {
		v.t.Fatalf("frame not one synchronized update: %q", s)
	}
	sx, sy, sfg, sbg := v.x, v.y, v.fg, v.bg
	s = s[len("\x1b[?2026h") : len(s)-len("\x1b[?2026l")]
	for len(s) > 0 {
		switch {
		case strings.HasPrefix(s, "\x1b7"):
			sx, sy, sfg, sbg = v.x, v.y, v.fg, v.bg
			s = s[2:]
		case strings.HasPrefix(s, "\x1b8"):
			v.x, v.y, v.fg, v.bg = sx, sy, sfg, sbg
			s = s[2:]
		case strings.HasPrefix(s, "\x1b["):
			end := strings.IndexAny(s[2:], "HCmX")
			if end < 0 {
				v.t.Fatalf("bad escape %q", s)
			}
			params, final := s[2:2+end], s[2+end]
			s = s[3+end:]
			v.csi(params, final)
		case s[0] == 0x1b || s[0] < 0x20:
			v.t.Fatalf("unexpected control %q", s)
		default:
			r, n := utf8.DecodeRuneInString(s)
			s = s[n:]
			v.put(r)
		}
	}
}

func (v *vterm) csi(params string, final byte) {
	v.t.Helper()
	switch final {
	case 'H':
		a, b, ok := strings.Cut(params, ";")
		r, err1 := strconv.Atoi(a)
		c, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil {
			v.t.Fatalf("bad CUP %q", params)
		}
		v.x, v.y = c-1, r-1
	case 'C':
		n := 1
		if params != "" {
			var err error
			if n, err = strconv.Atoi(params); err != nil {
				v.t.Fatalf("bad CUF %q", params)
			}
		}
		v.x += n
	case 'X':
		n, err := strconv.Atoi(params)
		if err != nil || v.x+n > v.w {
			v.t.Fatalf("bad ECH %q at %d", params, v.x)
		}
		for i := range n {
			v.cells[v.y*v.w+v.x+i] = cell{up: v.bg, lo: v.bg, glyph: ' '}
		}
	case 'm':
		// 39 and 49 (default colours) only where a parameter group
		// starts; the rest is applySGR's.
		ps := strings.Split(params, ";")
		for len(ps) > 0 {
			switch ps[0] {
			case "39":
				v.fg, ps = deflt, ps[1:]
				continue
			case "49":
				v.bg, ps = deflt, ps[1:]
				continue
			}
			n := 1
			if (ps[0] == "38" || ps[0] == "48") && len(ps) > 1 {
				n = map[string]int{"2": 5, "5": 3}[ps[1]]
			}
			if n == 0 || n > len(ps) {
				v.t.Fatalf("bad SGR %q", params)
			}
			v.fg, v.bg = applySGR(v.t, strings.Join(ps[:n], ";"), v.fg, v.bg)
			ps = ps[n:]
		}
	}
}

func (v *vterm) put(r rune) {
	if v.x < 0 || v.x >= v.w || v.y < 0 || v.y >= v.h {
		v.t.Fatalf("cell written outside the screen at %d,%d", v.x, v.y)
	}
	c := cell{glyph: r}
	switch r {
	case '▀':
		c.up, c.lo = v.fg, v.bg
	case '▄':
		c.up, c.lo = v.bg, v.fg
	case '█':
		c.up, c.lo = v.fg, v.fg
	case ' ':
		c.up, c.lo = v.bg, v.bg
	default:
		c.up, c.lo = v.fg, v.bg
	}
	v.cells[v.y*v.w+v.x] = c
	v.x++
	v.writes++
}

// playAll plays a run of frames.
func (v *vterm) playAll(s string) {
	v.t.Helper()
	for s != "" {
		i := strings.Index(s, "\x1b[?2026l")
		if i < 0 {
			v.t.Fatalf("unterminated frame %q", s)
		}
		i += len("\x1b[?2026l")
		v.play(s[:i])
		s = s[i:]
	}
}

// at is the cell at (x, y).
func (v *vterm) at(x, y int) cell { return v.cells[y*v.w+x] }
