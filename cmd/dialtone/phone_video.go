package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

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

// videoMode reads --video: the glyphs of the painted video, and whether it
// is plain characters. auto is half-blocks unless the terminal answers that
// it shows kitty graphics (see useKitty).
func videoMode(s string) (videopane.Glyphs, bool, error) {
	switch s {
	case "auto", "blocks", "kitty", "":
		return videopane.HalfBlocks, false, nil
	case "quadrant":
		return videopane.Quadrants, false, nil
	case "sextant":
		return videopane.Sextants, false, nil
	case "ascii":
		return videopane.HalfBlocks, true, nil
	}
	return 0, false, fmt.Errorf("--video %q: want auto, kitty, blocks, quadrant, sextant or ascii", s)
}

// detectTimeout bounds the wait for a terminal that does not answer.
const detectTimeout = 100 * time.Millisecond

// useKitty says whether the video is drawn with kitty graphics: always for
// --video kitty; for auto, when the terminal itself answers the kitty
// graphics query, never inside tmux (which does not pass the protocol
// through unless told to, and then not for placements it must track).
func useKitty(ctx context.Context, mode string, logger *slog.Logger) bool {
	switch {
	case mode == "kitty":
		return true
	case mode != "auto" && mode != "":
		return false
	case os.Getenv("TMUX") != "":
		logger.Info("terminal", "video", "half-blocks inside tmux")
		return false
	}
	caps, err := detect(ctx)
	if err != nil {
		logger.Info("terminal not queried", "err", err)
		return false
	}
	logger.Info("terminal", "offers", caps.String(), "term_program", os.Getenv("TERM_PROGRAM"))
	return caps.Kitty
}

// detect asks the controlling terminal what it can show, in raw mode for
// at most detectTimeout.
func detect(ctx context.Context) (termcap.Caps, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return termcap.Caps{}, fmt.Errorf("opening the terminal: %w", err)
	}
	defer tty.Close()
	st, err := term.MakeRaw(tty.Fd())
	if err != nil {
		return termcap.Caps{}, fmt.Errorf("setting the terminal raw: %w", err)
	}
	defer term.Restore(tty.Fd(), st) //nolint:errcheck // best effort
	return termcap.Detect(ctx, tty, detectTimeout)
}
