package main

import (
	"fmt"
	"os"

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
// is plain characters. auto is half-blocks, which every terminal and font
// draws (tmux included).
func videoMode(s string) (videopane.Glyphs, bool, error) {
	switch s {
	case "auto", "blocks", "":
		return videopane.HalfBlocks, false, nil
	case "quadrant":
		return videopane.Quadrants, false, nil
	case "sextant":
		return videopane.Sextants, false, nil
	case "ascii":
		return videopane.HalfBlocks, true, nil
	}
	return 0, false, fmt.Errorf("--video %q: want auto, blocks, quadrant, sextant or ascii", s)
}
