package termcap

import (
	"context"
	"io"
	"os"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Caps
	}{
		{"kitty", "\x1b_Gi=31;OK\x1b\\\x1bP0+r\x1b\\\x1b[?62;22;52c", Caps{Answered: true, Kitty: true}},
		{"kitty refusing", "\x1b_Gi=31;ENOTSUPPORTED:bad\x1b\\\x1b[?62c", Caps{Answered: true}},
		{"xterm -ti vt340", "\x1bP1+r544e=787465726d\x1b\\\x1b[?63;1;2;4;6;9;15;22c", Caps{Answered: true, Sixel: true, Name: "xterm"}},
		{"xterm", "\x1b[?64;1;2;6;9;15;18;21;22c", Caps{Answered: true}},
		{"WezTerm, keys typed meanwhile", "ab\x1b_Gi=31;OK\x1b\\x\x1bP1+r544e=57657a5465726d\x1b\\\x1b[?65;4;6;18;22c", Caps{Answered: true, Kitty: true, Sixel: true, Name: "WezTerm"}},
		{"another image id", "\x1b_Gi=7;OK\x1b\\\x1b[?62c", Caps{Answered: true}},
		{"silent", "", Caps{}},
		{"cut off", "\x1b_Gi=31;OK\x1b\\\x1b[?62;4", Caps{Kitty: true}},
		{"name not printable", "\x1bP1+r544e=1b5b\x1b\\\x1b[?1c", Caps{Answered: true}},
		{"other CSI first", "\x1b[2;1R\x1b[?1;2c", Caps{Answered: true}},
		{"xterm -ti vt340, cell size", "\x1bP1+r544e=787465726d\x1b\\\x1bP>|XTerm(379)\x1b\\\x1b[6;13;6t\x1b[?63;1;2;4;6;9;15;22c",
			Caps{Answered: true, Sixel: true, Name: "xterm", Version: "XTerm(379)", CellW: 6, CellH: 13}},
		{"iTerm2", "\x1bP>|iTerm2 3.5.0\x1b\\\x1b[6;32;14t\x1b[?62;4c", Caps{Answered: true, Sixel: true, Version: "iTerm2 3.5.0", CellW: 14, CellH: 32}},
		{"bogus cell size", "\x1b[6;0;9t\x1b[6;20t\x1b[4;600;800t\x1b[?1c", Caps{Answered: true}},
		{"version not printable", "\x1bP>|a\x07b\x1b\\\x1b[?1c", Caps{Answered: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, n := Parse([]byte(tc.in))
			if got != tc.want {
				t.Errorf("Parse = %+v, want %+v", got, tc.want)
			}
			if n > len(tc.in) {
				t.Errorf("consumed %d of %d bytes", n, len(tc.in))
			}
		})
	}
}

// TestITerm: iTerm2 inline images for iTerm2 and WezTerm by name or
// version, nothing else.
func TestITerm(t *testing.T) {
	for c, want := range map[Caps]bool{
		{Version: "iTerm2 3.5.0"}:                     true,
		{Version: "WezTerm 20240203-110809-5046fc22"}: true,
		{Name: "WezTerm"}:                             true,
		{Name: "xterm", Version: "XTerm(379)"}:        false,
		{Version: "kitty(0.39.1)"}:                    false,
		{}:                                            false,
	} {
		if got := c.ITerm(); got != want {
			t.Errorf("%+v.ITerm() = %v, want %v", c, got, want)
		}
	}
}

func TestParseStopsAtDA1(t *testing.T) {
	in := "\x1b[?62;4c" + "typed after"
	if _, n := Parse([]byte(in)); n != len("\x1b[?62;4c") {
		t.Errorf("consumed %d bytes, want up to the DA1 reply", n)
	}
}

// pipeTTY is a terminal made of two pipes: the test plays the terminal at
// the other ends.
type pipeTTY struct {
	r *os.File
	w *os.File
}

func (p pipeTTY) Read(b []byte) (int, error)        { return p.r.Read(b) }
func (p pipeTTY) Write(b []byte) (int, error)       { return p.w.Write(b) }
func (p pipeTTY) SetReadDeadline(t time.Time) error { return p.r.SetReadDeadline(t) }

func newPipeTTY(t *testing.T) (tty pipeTTY, termIn io.Reader, termOut io.Writer) {
	ir, iw, err := os.Pipe() // terminal → program
	if err != nil {
		t.Fatal(err)
	}
	or, ow, err := os.Pipe() // program → terminal
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ir.Close(); iw.Close(); or.Close(); ow.Close() })
	return pipeTTY{r: ir, w: ow}, or, iw
}

func TestDetect(t *testing.T) {
	tty, in, out := newPipeTTY(t)
	done := make(chan error, 1)
	go func() {
		q := make([]byte, len(Query))
		if _, err := io.ReadFull(in, q); err != nil {
			done <- err
			return
		}
		if string(q) != Query {
			t.Errorf("queried %q", q)
		}
		// Replies in two pieces, as a terminal may send them.
		out.Write([]byte("\x1b_Gi=31;OK\x1b\\\x1b[?62;"))
		_, err := out.Write([]byte("4c"))
		done <- err
	}()
	c, err := Detect(context.Background(), tty, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Caps{Answered: true, Kitty: true, Sixel: true}); c != want {
		t.Errorf("Detect = %+v, want %+v", c, want)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestDetectSilentTerminal: a terminal that answers nothing costs the
// timeout and no more.
func TestDetectSilentTerminal(t *testing.T) {
	tty, in, _ := newPipeTTY(t)
	go io.Copy(io.Discard, in)
	const timeout = 100 * time.Millisecond
	start := time.Now()
	c, err := Detect(context.Background(), tty, timeout)
	if err != nil {
		t.Fatal(err)
	}
	if c != (Caps{}) {
		t.Errorf("Detect = %+v from a silent terminal", c)
	}
	if d := time.Since(start); d < timeout || d > timeout+time.Second {
		t.Errorf("took %v, want about %v", d, timeout)
	}
}

// FuzzParse feeds arbitrary replies: Parse must not panic, must not claim
// more bytes than it was given, and what it found up to the DA1 reply is
// all it finds.
func FuzzParse(f *testing.F) {
	f.Add([]byte("\x1b_Gi=31;OK\x1b\\\x1b[?62;4c"))
	f.Add([]byte("\x1bP1+r544e=787465726d\x1b\\\x1b[?63;1;2;4c"))
	f.Add([]byte("\x1b[?"))
	f.Add([]byte("\x1b_G"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, n := Parse(b)
		if n < 0 || n > len(b) {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		if c.Answered {
			if again, _ := Parse(b[:n]); again != c {
				t.Fatalf("Parse(b[:%d]) = %+v, Parse(b) = %+v", n, again, c)
			}
		}
	})
}

// scriptTTY is a terminal that answers with script, one item a read: nil
// stands for the read deadline passing.
type scriptTTY struct {
	script [][]byte
}

func (s *scriptTTY) Write(b []byte) (int, error) { return len(b), nil }

func (s *scriptTTY) SetReadDeadline(time.Time) error { return nil }

func (s *scriptTTY) Read(b []byte) (int, error) {
	if len(s.script) == 0 {
		return 0, os.ErrDeadlineExceeded
	}
	item := s.script[0]
	s.script = s.script[1:]
	if item == nil {
		return 0, os.ErrDeadlineExceeded
	}
	return copy(b, item), nil
}

// rest is what the next reader of the terminal gets.
func (s *scriptTTY) rest() string {
	var b []byte
	for _, item := range s.script {
		b = append(b, item...)
	}
	return string(b)
}

// TestDetectFinishesReplyCutByDeadline: a reply the deadline cuts in two
// is read to its end, so that the program reading the terminal next gets
// no tail of it to take for typed keys; replies not begun by the deadline
// are left to it whole, and one begun that never ends is waited for once.
func TestDetectFinishesReplyCutByDeadline(t *testing.T) {
	const da1 = "\x1b[?62;4;22c"
	for _, tc := range []struct {
		name   string
		script []string // "" is the deadline passing
		want   Caps
		rest   string
	}{
		{"kitty reply cut", []string{"\x1b_Gi=31;O", "", "K\x1b\\", da1}, Caps{Kitty: true}, da1},
		{"XTVERSION cut", []string{"\x1b_Gi=31;OK\x1b\\\x1bP>|kitty(0.2", "", "6.5)\x1b\\", da1},
			Caps{Kitty: true, Version: "kitty(0.26.5)"}, da1},
		{"cell size cut", []string{"\x1b[6;1", "", "3;6t", da1}, Caps{CellW: 6, CellH: 13}, da1},
		{"DA1 cut", []string{"\x1b[?62;", "", "4;22c", "typed"}, Caps{Answered: true, Sixel: true}, "typed"},
		{"cut reply in three pieces", []string{"\x1bP1+r544e=78", "", "7465", "726d\x1b\\", da1}, Caps{Name: "xterm"}, da1},
		{"between replies", []string{"\x1b_Gi=31;OK\x1b\\", "", da1}, Caps{Kitty: true}, da1},
		{"never ends", []string{"\x1b_Gi=31;O", "", "", "K\x1b\\"}, Caps{}, "K\x1b\\"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tty := &scriptTTY{}
			for _, s := range tc.script {
				var item []byte
				if s != "" {
					item = []byte(s)
				}
				tty.script = append(tty.script, item)
			}
			c, err := Detect(context.Background(), tty, 100*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if c != tc.want {
				t.Errorf("Detect = %+v, want %+v", c, tc.want)
			}
			if got := tty.rest(); got != tc.rest {
				t.Errorf("left %q for the next reader, want %q", got, tc.rest)
			}
		})
	}
}
