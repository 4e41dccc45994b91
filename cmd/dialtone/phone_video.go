package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	"github.com/dialtone/dialtone/tui/components/videopane/termcap"

	"github.com/dialtone/dialtone/tui/components/videopane"
)

// ttyOutput is the terminal as Bubble Tea sees it: writes go through the
// video Output, so that video frames and Bubble Tea's renders never
// interleave, and Fd stays the terminal's, for its size and modes. It is a
// term.File (read, write, close, Fd) and no more, so that nothing can reach
// the file around the Output.
type ttyOutput struct {
	f   *os.File
	out *videopane.Output
}

func (t ttyOutput) Read(p []byte) (int, error)  { return t.f.Read(p) }
func (t ttyOutput) Write(p []byte) (int, error) { return t.out.Write(p) }
func (t ttyOutput) Close() error                { return t.f.Close() }
func (t ttyOutput) Fd() uintptr                 { return t.f.Fd() }

// ttyInput is the terminal's input as Bubble Tea reads it after a
// detection that stopped waiting before the terminal answered: reads go
// through termcap.Late, which drops the replies that come after all, and
// the rest is the file's, so that Bubble Tea still sets the terminal raw
// and can cancel its reads.
type ttyInput struct {
	f    *os.File
	late *termcap.Late
}

func (t ttyInput) Read(p []byte) (int, error)  { return t.late.Read(p) }
func (t ttyInput) Write(p []byte) (int, error) { return t.f.Write(p) }
func (t ttyInput) Close() error                { return t.f.Close() }
func (t ttyInput) Fd() uintptr                 { return t.f.Fd() }
func (t ttyInput) Name() string                { return t.f.Name() }

// inputOptions is where Bubble Tea reads: the terminal through
// termcap.Late while the terminal's replies may still come, else its
// default.
func (c pictureChoice) inputOptions() []tea.ProgramOption {
	if !c.late || !term.IsTerminal(os.Stdin.Fd()) {
		return nil
	}
	return []tea.ProgramOption{tea.WithInput(ttyInput{f: os.Stdin, late: termcap.NewLate(os.Stdin)})}
}

// videoMode reads --video: the glyphs of the painted video (for the
// picture protocols, where a pane shows only text), and whether it is
// plain characters. auto is half-blocks unless the terminal answers that
// it shows pictures (see pictures).
func videoMode(s string) (videopane.Glyphs, bool, error) {
	switch s {
	case "auto", "blocks", "kitty", "sixel", "iterm", "":
		return videopane.HalfBlocks, false, nil
	case "quadrant":
		return videopane.Quadrants, false, nil
	case "sextant":
		return videopane.Sextants, false, nil
	case "ascii":
		return videopane.HalfBlocks, true, nil
	}
	return 0, false, fmt.Errorf("--video %q: want auto, kitty, sixel, iterm, blocks, quadrant, sextant or ascii", s)
}

// detectTimeout bounds the wait for a terminal that does not answer.
const detectTimeout = 100 * time.Millisecond

// pictureChoice is how the video is drawn in pixels, if it is.
type pictureChoice struct {
	pics         videopane.Pictures // NoPictures: cells
	cellW, cellH int                // a cell's pixels; 0 unknown
	// late: the terminal was asked and had not answered (DA1) by the
	// deadline, so its replies may still come, to Bubble Tea's input.
	late bool
}

// pictures chooses the picture protocol from --video: the one named, or
// for auto the first the terminal itself says it has: kitty graphics when
// it answers the kitty query, iTerm2 images when it names itself iTerm2
// or WezTerm (XTVERSION, XTGETTCAP TN, or the TERM_PROGRAM those set),
// sixel when DA1 lists it; never inside tmux, which passes none of them
// through by default (auto is half-blocks there), and never from TERM.
func pictures(ctx context.Context, mode string, logger *slog.Logger) pictureChoice {
	var want videopane.Pictures
	switch mode {
	case "kitty":
		return pictureChoice{pics: videopane.KittyPictures}
	case "iterm":
		return pictureChoice{pics: videopane.ITermPictures}
	case "sixel":
		want = videopane.SixelPictures // the cell size is the terminal's to say
	case "auto", "":
		if os.Getenv("TMUX") != "" {
			logger.Info("terminal", "video", "half-blocks inside tmux")
			return pictureChoice{}
		}
	default:
		return pictureChoice{}
	}
	caps, err := detect(ctx)
	if err != nil {
		logger.Info("terminal not queried", "err", err)
		return pictureChoice{pics: want}
	}
	c := pictureChoice{pics: want, cellW: caps.CellW, cellH: caps.CellH, late: !caps.Answered}
	if want == videopane.NoPictures {
		c.pics = choosePictures(caps, os.Getenv("TERM_PROGRAM"))
	}
	logger.Info("terminal", "offers", caps.String(), "term_program", os.Getenv("TERM_PROGRAM"), "video", c.pics.String())
	return c
}

// choosePictures is auto's choice from what the terminal said: kitty
// graphics (the terminal keeps and scales the pictures), iTerm2 images
// (it scales JPEGs), sixel (every pixel sent), else cells.
func choosePictures(caps termcap.Caps, termProgram string) videopane.Pictures {
	switch {
	case caps.Kitty:
		return videopane.KittyPictures
	case caps.ITerm() || termProgram == "iTerm.app" || termProgram == "WezTerm":
		return videopane.ITermPictures
	case caps.Sixel:
		return videopane.SixelPictures
	}
	return videopane.NoPictures
}

// detect asks the controlling terminal what it can show, in raw mode for
// at most detectTimeout. A terminal that does not report its cell size
// may still have set the window's pixel size, which gives it. The file's
// descriptor is used only inside its raw connection: File.Fd would make
// it blocking, and its reads would then wait past any deadline, for ever
// on a terminal that does not answer.
func detect(ctx context.Context) (termcap.Caps, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return termcap.Caps{}, fmt.Errorf("opening the terminal: %w", err)
	}
	defer tty.Close()
	rc, err := tty.SyscallConn()
	if err != nil {
		return termcap.Caps{}, fmt.Errorf("opening the terminal: %w", err)
	}
	var st *term.State
	if cerr := rc.Control(func(fd uintptr) { st, err = term.MakeRaw(fd) }); cerr != nil || err != nil {
		return termcap.Caps{}, fmt.Errorf("setting the terminal raw: %w", errors.Join(cerr, err))
	}
	defer rc.Control(func(fd uintptr) { term.Restore(fd, st) }) //nolint:errcheck // best effort
	caps, err := termcap.Detect(ctx, tty, detectTimeout)
	if err == nil && caps.CellW == 0 {
		rc.Control(func(fd uintptr) { //nolint:errcheck // the size is optional
			if w, h, ok := cellPixels(fd); ok {
				caps.CellW, caps.CellH = w, h
			}
		})
	}
	return caps, err
}
