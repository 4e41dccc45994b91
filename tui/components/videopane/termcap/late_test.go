package termcap

import (
	"bytes"
	"io"
	"testing"
)

// chunks is a terminal's input arriving in pieces, one a read.
type chunks [][]byte

func (c *chunks) Read(p []byte) (int, error) {
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, (*c)[0])
	if n < len((*c)[0]) {
		(*c)[0] = (*c)[0][n:]
	} else {
		*c = (*c)[1:]
	}
	return n, nil
}

func readLate(t *testing.T, pieces ...string) string {
	t.Helper()
	var c chunks
	for _, p := range pieces {
		c = append(c, []byte(p))
	}
	b, err := io.ReadAll(NewLate(&c))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLate: replies to the query, whole or in pieces, are dropped until
// DA1; keys, other sequences and everything after DA1 pass.
func TestLate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pieces []string
		want   string
	}{
		{"every reply, whole", []string{"\x1b_Gi=31;OK\x1b\\", "\x1bP1+r544e=787465726d\x1b\\", "\x1bP>|kitty(0.26.5)\x1b\\", "\x1b[6;13;6t", "\x1b[?62;4;22c"}, ""},
		{"DA1 in pieces", []string{"\x1b[?62;", "4;22c"}, ""},
		{"kitty in pieces", []string{"\x1b_Gi=31;", "O", "K\x1b", "\\"}, ""},
		{"XTVERSION in pieces", []string{"\x1bP>|kitty(0.", "26.5)\x1b\\", "6"}, "6"},
		{"XTGETTCAP refused", []string{"\x1bP0+r544e\x1b\\1"}, "1"},
		{"cell size in pieces", []string{"\x1b[6;1", "3;6t"}, ""},
		{"keys around replies", []string{"60", "\x1b_Gi=31;OK\x1b\\0", "\x1b[?62c", "\r"}, "600\r"},
		{"the Esc key", []string{"\x1b", "q"}, "\x1bq"},
		{"arrow and ctrl+pgdn", []string{"\x1b[A\x1b[6;5~", "\x1b[", "B"}, "\x1b[A\x1b[6;5~\x1b[B"},
		{"other replies pass", []string{"\x1b]11;rgb:0000/0000/0000\x1b\\", "\x1b_Gi=7;OK\x1b\\", "\x1bP1$r0m\x1b\\"},
			"\x1b]11;rgb:0000/0000/0000\x1b\\\x1b_Gi=7;OK\x1b\\\x1bP1$r0m\x1b\\"},
		{"after DA1 all passes", []string{"\x1b[?62c", "\x1b[6;13;6t", "\x1b_Gi=31;OK\x1b\\"}, "\x1b[6;13;6t\x1b_Gi=31;OK\x1b\\"},
		{"held at the end of input", []string{"5\x1b[?62;"}, "5\x1b[?62;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := readLate(t, tc.pieces...); got != tc.want {
				t.Errorf("read %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLateSmallReads: what Late keeps comes out through reads smaller than
// it.
func TestLateSmallReads(t *testing.T) {
	c := chunks{[]byte("\x1b[?62;"), []byte("4c123456")}
	l := NewLate(&c)
	var got []byte
	p := make([]byte, 2)
	for {
		n, err := l.Read(p)
		got = append(got, p[:n]...)
		if err != nil {
			break
		}
	}
	if string(got) != "123456" {
		t.Errorf("read %q, want 123456", got)
	}
}

// FuzzLate: Late adds nothing, and input without ESC passes untouched.
func FuzzLate(f *testing.F) {
	f.Add([]byte("\x1b[?62;4c"), 3)
	f.Add([]byte("\x1b_Gi=31;OK\x1b\\12"), 5)
	f.Add([]byte("ab\x1bP>|x\x1b\\"), 1)
	f.Fuzz(func(t *testing.T, b []byte, cut int) {
		var c chunks
		if cut > 0 && cut < len(b) {
			c = chunks{b[:cut], b[cut:]}
		} else {
			c = chunks{b}
		}
		got, err := io.ReadAll(NewLate(&c))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > len(b) {
			t.Fatalf("read %d bytes from %d", len(got), len(b))
		}
		if !bytes.Contains(b, []byte{0x1b}) && !bytes.Equal(got, b) {
			t.Fatalf("read %q from %q", got, b)
		}
	})
}
