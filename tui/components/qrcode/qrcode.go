// Package qrcode draws a QR code in a terminal with half-block characters,
// two modules to a cell, so that a phone's camera can read a link code off
// the screen. It draws the light modules (and the quiet zone) as blocks:
// on the usual light-on-dark terminal that shows the code the right way
// round. The matrix comes from github.com/skip2/go-qrcode; this package
// only draws it.
package qrcode

import (
	"fmt"
	"strings"

	qr "github.com/skip2/go-qrcode"
)

// LinkText is what a link code's QR code says: the number and the code,
// upper case, digits and the symbols of QR's alphanumeric mode only, so
// that it fits a version-2 code (33×17 cells) a camera reads off a small
// terminal.
func LinkText(number, code string) string { return number + " " + code }

// Render returns text as a QR code (error correction level M) in lines of
// half-blocks, each line ending in a newline. A version-2 code with its
// quiet zone is 33 modules: 33 columns and 17 rows.
func Render(text string) (string, error) {
	code, err := qr.New(text, qr.Medium)
	if err != nil {
		return "", fmt.Errorf("making a QR code: %w", err)
	}
	// Bitmap includes a quiet zone of four modules; true is dark.
	m := code.Bitmap()
	var b strings.Builder
	for y := 0; y < len(m); y += 2 {
		for x := range m[y] {
			top := !m[y][x]
			bottom := y+1 < len(m) && !m[y+1][x]
			switch {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}
