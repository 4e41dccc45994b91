package videopane

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Smallest pane the Pane component draws video in; below it shows
// TooSmall instead. 20×6 cells is 20×12 pixels, about the least in which a
// face is a face.
const (
	MinCols = 20
	MinRows = 6
)

// TooSmall is the message for a pane smaller than MinCols×MinRows.
var TooSmall = fmt.Sprintf("terminal too small for video (need at least %d×%d)", MinCols, MinRows)

// Placeholder returns a cols×rows block of blank lines with text centred in
// it, for the states with no picture ("no video", "camera off", TooSmall).
// Text is wrapped at spaces and cut to fit; it is measured in runes, so it
// should be single-width characters without escape sequences.
func Placeholder(cols, rows int, text string) string {
	if cols <= 0 || rows <= 0 {
		return ""
	}
	cols, rows = min(cols, MaxCols), min(rows, MaxRows)
	lines := wrap(text, cols)
	if len(lines) > rows {
		lines = lines[:rows]
	}
	var b strings.Builder
	b.Grow(rows * (cols + 1))
	top := (rows - len(lines)) / 2
	for row := range rows {
		if row > 0 {
			b.WriteByte('\n')
		}
		i := row - top
		if i < 0 || i >= len(lines) {
			b.WriteString(spaces[:cols])
			continue
		}
		w := utf8.RuneCountInString(lines[i])
		left := (cols - w) / 2
		b.WriteString(spaces[:left])
		b.WriteString(lines[i])
		b.WriteString(spaces[:cols-w-left])
	}
	return b.String()
}

// wrap breaks text into lines of at most width runes, at spaces where it
// can and mid-word where a word is longer than a line.
func wrap(text string, width int) []string {
	var lines []string
	var cur []rune
	for _, word := range strings.Fields(text) {
		w := []rune(word)
		if len(cur) > 0 && len(cur)+1+len(w) <= width {
			cur = append(append(cur, ' '), w...)
			continue
		}
		if len(cur) > 0 {
			lines = append(lines, string(cur))
			cur = cur[:0]
		}
		for len(w) > width {
			lines = append(lines, string(w[:width]))
			w = w[width:]
		}
		cur = append(cur, w...)
	}
	if len(cur) > 0 {
		lines = append(lines, string(cur))
	}
	return lines
}
