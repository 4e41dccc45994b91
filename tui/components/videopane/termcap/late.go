package termcap

import (
	"bytes"
	"io"
)

// Late is the terminal's input after a Detect that stopped waiting before
// the DA1 reply: it passes keys on and drops the replies to Query that
// come after all, until DA1, which the terminal sends last. Bubble Tea
// would make no keys of a whole reply, but it gives up on a sequence 50 ms
// after its first bytes and takes the rest for typed keys, and a reply
// over a slow link may come in pieces further apart: the rest of
// "\x1b[?62;4;22c" is digits, dialled or sent as keypad tones. So a
// sequence that may be a reply is held until it ends, however long that
// takes, and a lone ESC (the Esc key) is never held. Once DA1 has come,
// Late reads straight through.
type Late struct {
	r    io.Reader
	held []byte // the start of a sequence that may be a reply
	out  []byte // read and kept, not yet returned
	done bool   // DA1 came: nothing more is due
}

// NewLate reads r, the terminal's input, dropping late replies.
func NewLate(r io.Reader) *Late { return &Late{r: r} }

// Read returns the input with the late replies taken out. It may return
// no bytes and no error when all it read was a reply, or part of one.
func (l *Late) Read(p []byte) (int, error) {
	if len(l.out) > 0 {
		n := copy(p, l.out)
		l.out = l.out[n:]
		return n, nil
	}
	if l.done && len(l.held) == 0 {
		return l.r.Read(p)
	}
	buf := make([]byte, len(p))
	n, err := l.r.Read(buf)
	in := append(l.held, buf[:n]...)
	l.held = nil
	if err != nil {
		// Nothing more will finish what is held: hand it on as it is.
		l.out = append(l.out, in...)
	} else {
		l.filter(in)
	}
	m := copy(p, l.out)
	l.out = l.out[m:]
	return m, err
}

// filter moves in to l.out without the replies, holding back a sequence
// in's end leaves unfinished.
func (l *Late) filter(in []byte) {
	for i := 0; i < len(in); {
		if l.done {
			l.out = append(l.out, in[i:]...)
			return
		}
		if in[i] != 0x1b || i+1 >= len(in) {
			l.out = append(l.out, in[i])
			i++
			continue
		}
		n, reply, ok := lateReply(in[i:])
		switch {
		case !ok && len(in)-i < maxReply:
			l.held = append([]byte(nil), in[i:]...)
			return
		case !ok:
			// Too long for a reply: it is not one.
			l.out = append(l.out, in[i:]...)
			return
		case reply:
			l.done = l.done || in[i+1] == '[' && in[i+n-1] == 'c'
		default:
			l.out = append(l.out, in[i:i+n]...)
		}
		i += n
	}
}

// lateReply reads the escape sequence at the start of b: its length, and
// whether it is a reply to Query; ok is false when b ends before the
// sequence does.
func lateReply(b []byte) (n int, reply, ok bool) {
	switch b[1] {
	case '_', 'P':
		end := bytes.Index(b[2:], []byte("\x1b\\"))
		if end < 0 {
			return 0, false, false
		}
		body := b[2 : 2+end]
		if b[1] == '_' {
			// The kitty reply to the query's image, OK or an error.
			reply = bytes.HasPrefix(body, []byte("Gi=31"))
		} else {
			reply = bytes.HasPrefix(body, []byte(">|")) ||
				hasPrefixFold(body, "1+r544e") || hasPrefixFold(body, "0+r")
		}
		return 2 + end + 2, reply, true
	case '[':
		j := 2
		for j < len(b) && (b[j] >= 0x30 && b[j] <= 0x3f || b[j] >= 0x20 && b[j] <= 0x2f) {
			j++
		}
		if j >= len(b) {
			return 0, false, false
		}
		params, final := b[2:j], b[j]
		reply = final == 'c' && len(params) > 0 && params[0] == '?' ||
			final == 't' && bytes.HasPrefix(params, []byte("6;"))
		return j + 1, reply, true
	}
	return 1, false, true
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}
