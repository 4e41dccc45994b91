package videopane

import "github.com/dialtone/dialtone/device"

// RenderGrid draws f into g, resized to cols×rows, as Render would draw it
// (same fit, same colours), but as cells for the damage-tracked painter
// instead of text. A frame that is empty or malformed draws a blank grid.
func (r *Renderer) RenderGrid(g *Grid, f device.Frame, cols, rows int, mode ColorMode) {
	g.Resize(cols, rows)
	if g.Cols == 0 || g.Rows == 0 || !validFrame(f) {
		return
	}
	rect := Fit(f.Width, f.Height, g.Cols, g.Rows)
	if r.cfg.Glyphs != HalfBlocks && mode != NoColor {
		r.renderSubCells(g, f, rect, mode, r.cfg.Glyphs)
		return
	}
	r.prepare(f.Width, f.Height, rect)
	for row := range rect.Rows {
		py := 2 * row
		r.pixelRow(f, py, r.up, mode)
		r.pixelRow(f, py+1, r.lo, mode)
		cells := g.Row(rect.Row + row)[rect.Col : rect.Col+rect.Cols]
		if mode == NoColor {
			for x, a := range r.up {
				cells[x] = Cell{Fg: none, Bg: none, R: rune(rampOf[(a+r.lo[x])&511])}
			}
			continue
		}
		for x, a := range r.up {
			cells[x] = Cell{Fg: a, Bg: r.lo[x], R: '▀'}
		}
	}
}
