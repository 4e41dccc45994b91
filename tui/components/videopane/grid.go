package videopane

import "unicode/utf8"

// Cell is one terminal cell as the video path draws it outside the TUI's
// text: a glyph and its two colour keys (see ColorMode; none is the
// terminal's default colour). A half-block picture cell is ▀ with the
// upper pixel as foreground and the lower as background.
type Cell struct {
	Fg, Bg uint32
	R      rune
}

// Blank is an empty cell in the default colours.
var Blank = Cell{Fg: none, Bg: none, R: ' '}

// Grid is a Cols×Rows block of cells, row by row.
type Grid struct {
	Cols, Rows int
	Cells      []Cell
}

// Resize makes g cols×rows, reusing its storage, and blanks it.
func (g *Grid) Resize(cols, rows int) {
	cols, rows = max(0, min(cols, MaxCols)), max(0, min(rows, MaxRows))
	g.Cols, g.Rows = cols, rows
	g.Cells = resize(g.Cells, cols*rows)
	for i := range g.Cells {
		g.Cells[i] = Blank
	}
}

// Row returns row y's cells.
func (g *Grid) Row(y int) []Cell { return g.Cells[y*g.Cols : (y+1)*g.Cols] }

// Blit copies src into g with its top-left cell at (x, y), clipped to g.
func (g *Grid) Blit(src *Grid, x, y int) {
	for sy := range src.Rows {
		dy := y + sy
		if dy < 0 || dy >= g.Rows {
			continue
		}
		for sx, c := range src.Row(sy) {
			if dx := x + sx; dx >= 0 && dx < g.Cols {
				g.Cells[dy*g.Cols+dx] = c
			}
		}
	}
}

// Fill sets every cell of the w×h rectangle at (x, y) to c, clipped to g.
func (g *Grid) Fill(x, y, w, h int, c Cell) {
	for dy := max(0, y); dy < min(g.Rows, y+h); dy++ {
		row := g.Row(dy)
		for dx := max(0, x); dx < min(g.Cols, x+w); dx++ {
			row[dx] = c
		}
	}
}

// PlaceholderGrid is Placeholder drawn into g, resized to cols×rows.
func PlaceholderGrid(g *Grid, cols, rows int, text string) {
	g.Resize(cols, rows)
	if g.Cols == 0 || g.Rows == 0 {
		return
	}
	lines := wrap(text, g.Cols)
	if len(lines) > g.Rows {
		lines = lines[:g.Rows]
	}
	top := (g.Rows - len(lines)) / 2
	for i, l := range lines {
		left := (g.Cols - utf8.RuneCountInString(l)) / 2
		row := g.Row(top + i)
		x := left
		for _, r := range l {
			row[x].R = r
			x++
		}
	}
}

func encodeRune(b []byte, r rune) int { return utf8.EncodeRune(b, r) }
