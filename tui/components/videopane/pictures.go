package videopane

// Pictures is a protocol for drawing real pixels in the terminal.
type Pictures int

const (
	// NoPictures draws cells only.
	NoPictures Pictures = iota
	// KittyPictures is the kitty graphics protocol: images the terminal
	// scales and keeps above the text, until deleted.
	KittyPictures
	// SixelPictures is DEC sixel: images drawn into the cells at their
	// size in pixels, gone where text or an erase overwrites them.
	SixelPictures
	// ITermPictures is iTerm2's inline images: JPEGs the terminal scales
	// into cells, gone as sixel ones are.
	ITermPictures
)

func (p Pictures) String() string {
	switch p {
	case KittyPictures:
		return "kitty graphics"
	case SixelPictures:
		return "sixel"
	case ITermPictures:
		return "iTerm2 images"
	}
	return "cells"
}

// InCells reports whether the protocol's pictures live in the cells they
// cover: drawing one over another replaces it there, and erasing the
// cells takes it away.
func (p Pictures) InCells() bool { return p == SixelPictures || p == ITermPictures }

// Pictures is the protocol SubmitImages draws with.
func (o *Output) Pictures() Pictures { return o.cfg.Pictures }

// appendPicture draws im as image id.
func (o *Output) appendPicture(b []byte, id uint32, im Image) []byte {
	switch o.cfg.Pictures {
	case SixelPictures:
		return o.sixel.Append(b, im.Frame, im.At)
	case ITermPictures:
		return o.iterm.Append(b, im.Frame, im.At)
	}
	return o.kitty.Append(b, id, im.Frame, im.At)
}

// removePicture takes image id, shown in the cells of at, off the screen.
func (o *Output) removePicture(b []byte, id uint32, at Rect) []byte {
	if !o.cfg.Pictures.InCells() {
		return KittyDelete(b, id)
	}
	return appendErase(b, at)
}

// appendErase erases the cells of r to the default colours (ECH, row by
// row), which takes pictures in them away too.
func appendErase(b []byte, r Rect) []byte {
	if r.Empty() {
		return b
	}
	b = append(b, sgrReset...)
	for row := r.Row; row < r.Row+r.Rows; row++ {
		b = appendCUP(b, row, r.Col)
		b = append(b, "\x1b["...)
		b = appendInt(b, r.Cols)
		b = append(b, 'X')
	}
	return b
}
