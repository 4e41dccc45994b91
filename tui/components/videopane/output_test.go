package videopane

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// slowTerm is a terminal that takes each write only when the test lets it:
// entered reports a write begun, release lets it finish.
type slowTerm struct {
	entered chan []byte
	release chan struct{}
}

func (s *slowTerm) Write(p []byte) (int, error) {
	select {
	case s.entered <- bytes.Clone(p):
	case <-s.release: // closed: the test is over
	}
	<-s.release
	return len(p), nil
}

// numbered is a grid whose first cell says n, so each frame differs.
func numbered(n int) *Grid {
	g := &Grid{}
	g.Resize(8, 2)
	g.Cells[0] = Cell{Fg: uint32(n), Bg: 0x102030, R: '▀'}
	return g
}

func runOutput(t *testing.T, o *Output) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// TestOutputDropsFramesForASlowTerminal: frames come at 30 a second, the
// terminal takes one write in 100 ms. Submit never blocks, the frames in
// between are dropped, not queued, the terminal always gets the newest,
// and the rate reported is the terminal's, 10 a second.
func TestOutputDropsFramesForASlowTerminal(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	term := &slowTerm{entered: make(chan []byte), release: make(chan struct{})}
	o := NewOutput(term, OutputConfig{Now: clock.Now, Tolerance: -1})
	runOutput(t, o)
	t.Cleanup(func() { close(term.release) }) // before Run's: lets its last write finish

	o.Submit(numbered(0), 0, 0, TrueColor, true)
	<-term.entered
	const frames = 90 // three seconds
	for n := 1; n <= frames; n++ {
		clock.Add(time.Second / 30)
		o.Submit(numbered(n), 0, 0, TrueColor, false)
		if n%3 == 0 {
			term.release <- struct{}{}
			got := <-term.entered
			v := newVterm(t, 8, 2)
			v.play(string(got))
			if c := v.at(0, 0); c.up != colour(n) {
				t.Fatalf("after frame %d the terminal got frame %d", n, c.up)
			}
		}
	}
	s := o.Stats()
	if s.Frames != frames/3+1 {
		t.Errorf("painted %d frames, want %d", s.Frames, frames/3+1)
	}
	if s.Dropped != frames-frames/3 {
		t.Errorf("dropped %d frames, want %d", s.Dropped, frames-frames/3)
	}
	if s.FPS < 9.5 || s.FPS > 10.5 {
		t.Errorf("FPS %.2f, want the terminal's 10", s.FPS)
	}
}

// paintOnce is one turn of the writer, without its goroutine.
func paintOnce(o *Output, p *Painter, g *Grid) []byte {
	b := bytes.Clone(o.paint(p, g, nil))
	o.write(nil)
	return b
}

func TestOutputLayoutChangeRepaintsUntilTheTUIDrew(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	var term bytes.Buffer
	o := NewOutput(&term, OutputConfig{Now: clock.Now})
	p, g := &Painter{Tolerance: DefaultTolerance}, &Grid{}
	frame := numbered(1)
	full := func() int { v := newVterm(t, 8, 2); v.play(string(paintOnce(o, p, g))); return v.writes }

	o.Submit(frame, 0, 0, TrueColor, false) // first: hidden until now, so whole
	if n := full(); n != 16 {
		t.Fatalf("first frame wrote %d cells, want 16", n)
	}
	clock.Add(10 * time.Millisecond)
	o.Submit(frame, 0, 0, TrueColor, false)
	if n := full(); n != 16 {
		t.Fatalf("the TUI has not drawn since: wrote %d cells, want 16 again", n)
	}
	o.Write([]byte("status line")) // the TUI draws its layout
	clock.Add(layoutSettle)
	o.Submit(frame, 0, 0, TrueColor, false)
	if n := full(); n != 16 {
		t.Fatalf("first frame after the TUI drew wrote %d cells, want 16", n)
	}
	o.Submit(frame, 0, 0, TrueColor, false)
	if n := full(); n != 0 {
		t.Fatalf("settled: the same frame wrote %d cells", n)
	}
	// A layout change the TUI never draws: whole repaints for at most
	// layoutMaxFull.
	o.Submit(frame, 0, 0, TrueColor, true)
	if n := full(); n != 16 {
		t.Fatalf("layout changed: wrote %d cells, want 16", n)
	}
	clock.Add(layoutMaxFull)
	o.Submit(frame, 0, 0, TrueColor, false)
	if n := full(); n != 16 {
		t.Fatalf("last whole repaint: wrote %d cells, want 16", n)
	}
	o.Submit(frame, 0, 0, TrueColor, false)
	if n := full(); n != 0 {
		t.Fatalf("after layoutMaxFull: wrote %d cells", n)
	}
}

func TestOutputHides(t *testing.T) {
	var term bytes.Buffer
	o := NewOutput(&term, OutputConfig{})
	p, g := &Painter{}, &Grid{}
	for _, tc := range []struct {
		name string
		hide func()
	}{
		{"Hide", o.Hide},
		{"leaving the alternate screen", func() { o.Write([]byte("\x1b[?1049l")) }},
	} {
		o.Submit(numbered(1), 0, 0, TrueColor, false)
		tc.hide()
		if b := paintOnce(o, p, g); len(b) != 0 {
			t.Errorf("%s: painted %q", tc.name, b)
		}
	}
}

// TestOutputErasesWhatItLeaves: when the region shrinks, or the video
// hides, the cells it no longer covers are blanked at once, before the
// TUI draws the new layout (whose diff thinks them blank already).
func TestOutputErasesWhatItLeaves(t *testing.T) {
	var term bytes.Buffer
	o := NewOutput(&term, OutputConfig{})
	v := newVterm(t, 10, 5)
	big := &Grid{}
	big.Resize(8, 4)
	for i := range big.Cells {
		big.Cells[i] = Cell{Fg: 0xff0000, Bg: 0x00ff00, R: '▀'}
	}
	o.Submit(big, 1, 1, TrueColor, true)
	if err := o.Flush(); err != nil {
		t.Fatal(err)
	}
	small := &Grid{Cols: 4, Rows: 2, Cells: big.Cells[:8]}
	o.Submit(small, 1, 1, TrueColor, true)
	v.playAll(term.String())
	term.Reset()
	blank := cell{up: deflt, lo: deflt, glyph: ' '}
	for y := range 5 {
		for x := range 10 {
			painted := y >= 1 && y < 3 && x >= 1 && x < 5
			if got := v.at(x, y); painted != (got != blank) {
				t.Errorf("after shrinking, cell %d,%d is %+v", x, y, got)
			}
		}
	}
	if err := o.Flush(); err != nil {
		t.Fatal(err)
	}
	o.Hide()
	v.playAll(term.String())
	for y := range 5 {
		for x := range 10 {
			if got := v.at(x, y); got != blank {
				t.Errorf("after Hide, cell %d,%d is %+v", x, y, got)
			}
		}
	}
}

// TestOutputImages: pictures go out as kitty images, each sent again only
// when its frame or place changed, and deleted when they go: fewer images,
// back to cells, hidden.
func TestOutputImages(t *testing.T) {
	var term bytes.Buffer
	o := NewOutput(&term, OutputConfig{})
	remote, self := movingFrame(64, 48, 0), movingFrame(32, 24, 1)
	at1, at2 := Rect{Cols: 40, Rows: 15}, Rect{Col: 30, Row: 10, Cols: 8, Rows: 3}
	step := func(name string, submit func(), want ...string) {
		t.Helper()
		submit()
		if err := o.Flush(); err != nil {
			t.Fatal(err)
		}
		out := term.String()
		term.Reset()
		var got []string
		for _, m := range regexp.MustCompile(`\x1b_G(a=T)[^;\x1b]*?,i=(\d)`).FindAllStringSubmatch(out, -1) {
			got = append(got, m[1]+" "+m[2])
		}
		for _, m := range regexp.MustCompile(`\x1b_Ga=d,d=I,q=2,i=(\d)`).FindAllStringSubmatch(out, -1) {
			got = append(got, "a=d "+m[1])
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: sent %v, want %v", name, got, want)
		}
		if out != "" && (!strings.HasPrefix(out, "\x1b[?2026h") || !strings.HasSuffix(out, "\x1b[?2026l")) {
			t.Errorf("%s: not synchronized: %q", name, out[:min(40, len(out))])
		}
	}
	imgs := func(g1, g2 uint64) func() {
		return func() {
			o.SubmitImages([]Image{{Frame: remote, At: at1, Gen: g1}, {Frame: self, At: at2, Gen: g2}}, false)
		}
	}
	step("first", imgs(1, 1), "a=T 1", "a=T 2")
	step("same", imgs(1, 1))
	step("new remote frame", imgs(2, 1), "a=T 1")
	step("one image", func() { o.SubmitImages([]Image{{Frame: remote, At: at1, Gen: 2}}, false) }, "a=d 2")
	step("cells", func() { o.Submit(numbered(1), 0, 0, TrueColor, false) }, "a=d 1")
	step("images again", imgs(3, 3), "a=T 1", "a=T 2")
	o.Hide()
	if out := term.String(); strings.Count(out, "a=d,d=I") != 2 {
		t.Errorf("Hide sent %q, want both images deleted", out)
	}
}

// TestOutputDeletesImagesLeavingTheAltScreen: when the TUI gives the main
// screen back, the kitty images go first.
func TestOutputDeletesImagesLeavingTheAltScreen(t *testing.T) {
	var term bytes.Buffer
	o := NewOutput(&term, OutputConfig{})
	o.SubmitImages([]Image{{Frame: movingFrame(32, 24, 0), At: Rect{Cols: 10, Rows: 4}, Gen: 1}}, false)
	if err := o.Flush(); err != nil {
		t.Fatal(err)
	}
	term.Reset()
	if _, err := o.Write([]byte("\x1b[?1049l")); err != nil {
		t.Fatal(err)
	}
	if got, want := term.String(), "\x1b_Ga=d,d=I,q=2,i=1\x1b\\\x1b[?1049l"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}
