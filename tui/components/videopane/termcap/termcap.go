// Package termcap finds out what pictures a terminal can show, by asking
// it: the kitty graphics protocol (a query image the terminal must answer
// OK), sixel (attribute 4 in the primary device attributes, DA1), the
// terminal's name (XTGETTCAP TN) and version (XTVERSION), for iTerm2
// inline images, and a cell's size in pixels (XTWINOPS 16), for sixel
// images, which the terminal does not scale; DA1 comes last, as the
// sentinel every terminal answers. It never guesses from TERM alone. The package parses
// replies and bounds the wait; it does not draw.
package termcap

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Query is what Detect writes: a 1×1 kitty graphics query (a=q: the
// terminal checks it and answers, and shows nothing), XTGETTCAP for the
// terminal's name, XTVERSION, the cell size report, and DA1.
const Query = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\" + "\x1bP+q544e\x1b\\" + "\x1b[>0q" + "\x1b[16t" + "\x1b[c"

// Caps is what the terminal said it supports.
type Caps struct {
	// Answered: the DA1 reply came, so every reply before it is in.
	Answered bool
	// Kitty: the kitty graphics query was answered OK.
	Kitty bool
	// Sixel: DA1 lists attribute 4.
	Sixel bool
	// Name is the terminal's own name (XTGETTCAP TN), if it gave one.
	Name string
	// Version is the terminal's name and version (XTVERSION), if it gave
	// them: "iTerm2 3.5.0", "WezTerm 20240203-110809-5046fc22".
	Version string
	// CellW and CellH are a cell's size in pixels, if the terminal said.
	CellW, CellH int
}

// ITerm reports whether the terminal said it is one that shows iTerm2
// inline images (iTerm2, WezTerm), by its name or version: never from
// TERM.
func (c Caps) ITerm() bool {
	for _, s := range []string{c.Name, c.Version} {
		s = strings.ToLower(s)
		if strings.HasPrefix(s, "iterm2") || strings.HasPrefix(s, "wezterm") {
			return true
		}
	}
	return false
}

func (c Caps) String() string {
	var s []string
	if c.Kitty {
		s = append(s, "kitty graphics")
	}
	if c.Sixel {
		s = append(s, "sixel")
	}
	if c.Name != "" {
		s = append(s, "name "+strconv.Quote(c.Name))
	}
	if c.Version != "" {
		s = append(s, "version "+strconv.Quote(c.Version))
	}
	if c.CellW > 0 {
		s = append(s, fmt.Sprintf("cell %dx%d px", c.CellW, c.CellH))
	}
	if !c.Answered {
		s = append(s, "no answer")
	}
	return strings.Join(s, ", ")
}

// Parse reads the terminal's replies in b: APC G (kitty), DCS +r / -r
// (XTGETTCAP), DCS >| (XTVERSION), CSI 6;h;w t (cell size) and CSI ? … c
// (DA1). Anything else (keys typed meanwhile,
// other replies) is skipped; a reply cut off at the end is ignored. It
// returns how many bytes it consumed up to and including the DA1 reply, or
// len(b) without one.
func Parse(b []byte) (Caps, int) {
	c, n, _ := parse(b)
	return c, n
}

// parse is Parse, and says whether b ends inside a reply: one begun
// (ESC _, ESC P, ESC [) and not yet ended.
func parse(b []byte) (c Caps, n int, cut bool) {
	for i := 0; i < len(b); {
		if b[i] != 0x1b || i+1 >= len(b) {
			i++
			continue
		}
		switch b[i+1] {
		case '_', 'P':
			end := bytes.Index(b[i+2:], []byte("\x1b\\"))
			if end < 0 {
				return c, len(b), true
			}
			kind, body := b[i+1], b[i+2:i+2+end]
			i += 2 + end + 2
			if kind == '_' {
				c.kitty(body)
			} else {
				c.tcap(body)
			}
		case '[':
			j := i + 2
			for j < len(b) && (b[j] >= 0x30 && b[j] <= 0x3f || b[j] >= 0x20 && b[j] <= 0x2f) {
				j++
			}
			if j >= len(b) {
				return c, len(b), true
			}
			params, final := b[i+2:j], b[j]
			i = j + 1
			if final == 'c' && len(params) > 0 && params[0] == '?' {
				c.Answered = true
				for p := range strings.SplitSeq(string(params[1:]), ";") {
					if p == "4" {
						c.Sixel = true
					}
				}
				return c, i, false
			}
			if final == 't' {
				c.cellSize(string(params))
			}
		default:
			i += 2
		}
	}
	return c, len(b), false
}

// kitty reads an APC G reply: "Gi=31;OK" when the terminal can show the
// query's image.
func (c *Caps) kitty(body []byte) {
	keys, msg, ok := bytes.Cut(body, []byte{';'})
	if !ok || len(keys) == 0 || keys[0] != 'G' {
		return
	}
	for kv := range bytes.SplitSeq(keys[1:], []byte{','}) {
		if string(kv) == "i=31" && bytes.HasPrefix(msg, []byte("OK")) {
			c.Kitty = true
		}
	}
}

// cellSize reads a cell size report's parameters: "6;height;width".
func (c *Caps) cellSize(params string) {
	f := strings.Split(params, ";")
	if len(f) != 3 || f[0] != "6" {
		return
	}
	h, err1 := strconv.Atoi(f[1])
	w, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 || w > 256 || h > 512 {
		return
	}
	c.CellW, c.CellH = w, h
}

// tcap reads an XTGETTCAP reply, "1+r544e=<hex name>", or an XTVERSION
// one, ">|name version".
func (c *Caps) tcap(body []byte) {
	if v, ok := bytes.CutPrefix(body, []byte(">|")); ok {
		if len(v) <= 128 && isPrint(v) {
			c.Version = string(v)
		}
		return
	}
	rest, ok := bytes.CutPrefix(body, []byte("1+r"))
	if !ok {
		return
	}
	for kv := range bytes.SplitSeq(rest, []byte{';'}) {
		k, v, ok := bytes.Cut(kv, []byte{'='})
		if !ok || !strings.EqualFold(string(k), "544e") {
			continue
		}
		name, err := hex.DecodeString(string(v))
		if err == nil && len(name) <= 64 && isPrint(name) {
			c.Name = string(name)
		}
	}
}

func isPrint(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// TTY is a terminal Detect can ask: a file opened on it (/dev/tty), whose
// reads take a deadline.
type TTY interface {
	io.ReadWriter
	SetReadDeadline(time.Time) error
}

// maxReply bounds what Detect reads.
const maxReply = 4096

// finishWithin bounds the wait, past the deadline, for the rest of a reply
// the terminal has begun: a slow link may cut one anywhere.
const finishWithin = time.Second

// Detect writes Query to tty and reads the replies until the DA1 reply,
// ctx's end or timeout, whichever comes first: a terminal that says
// nothing costs at most timeout. A reply begun by then is read to its end
// (for at most finishWithin more), because whoever reads the terminal
// next would take the rest of it for keys typed: the tail of
// "\x1b[?62;4;22c" is digits and a c. Replies that have not begun are
// left whole to the next reader. The terminal must be in raw mode, or the
// replies wait for a newline.
func Detect(ctx context.Context, tty TTY, timeout time.Duration) (Caps, error) {
	if _, err := io.WriteString(tty, Query); err != nil {
		return Caps{}, fmt.Errorf("querying the terminal: %w", err)
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := tty.SetReadDeadline(deadline); err != nil {
		return Caps{}, fmt.Errorf("bounding the terminal's reply: %w", err)
	}
	defer tty.SetReadDeadline(time.Time{}) //nolint:errcheck // best effort
	var buf []byte
	chunk := make([]byte, 512)
	finishing := false
	for len(buf) < maxReply {
		n, err := tty.Read(chunk)
		buf = append(buf, chunk[:n]...)
		c, _, cut := parse(buf)
		if c.Answered || finishing && !cut {
			return c, nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if !cut || finishing {
				break
			}
			finishing = true
			finish := time.Now().Add(finishWithin)
			if d, ok := ctx.Deadline(); ok && d.Before(finish) {
				finish = d
			}
			if err := tty.SetReadDeadline(finish); err != nil {
				return Caps{}, fmt.Errorf("bounding the terminal's reply: %w", err)
			}
			continue
		}
		if err != nil {
			return Caps{}, fmt.Errorf("reading the terminal's reply: %w", err)
		}
	}
	c, _ := Parse(buf)
	return c, nil
}
