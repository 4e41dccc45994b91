package qrcode

import (
	"strings"
	"testing"

	qr "github.com/skip2/go-qrcode"
)

// The drawing is the matrix, two rows to a line: reading the half-blocks
// back gives the modules.
func TestRenderIsTheMatrix(t *testing.T) {
	const text = "dialtone --number +15551230001 --link 7K3M-Q9ZD-X2AB-PH4T"
	out, err := Render(text)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := qr.New(text, qr.Medium)
	m := code.Bitmap()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != (len(m)+1)/2 {
		t.Fatalf("%d lines for %d rows", len(lines), len(m))
	}
	for i, l := range lines {
		cells := []rune(l)
		if len(cells) != len(m[0]) {
			t.Fatalf("line %d has %d cells for %d columns", i, len(cells), len(m[0]))
		}
		for x, r := range cells {
			top, bottom := r == '█' || r == '▀', r == '█' || r == '▄'
			if top != !m[2*i][x] || 2*i+1 < len(m) && bottom != !m[2*i+1][x] {
				t.Fatalf("cell %d,%d is %q", x, i, r)
			}
		}
	}
}
