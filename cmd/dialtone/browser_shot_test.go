package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"testing"
)

// The in-call screenshot is checked, not only kept: the other side's video
// must be lit in it (not the black box an element without frames is), and
// a second screenshot, taken after the element has presented
// more frames, must differ inside it (the picture moves).

// box is an element's border box in the screenshot's pixels.
type box struct{ x0, y0, x1, y1 int }

func (r box) contains(x, y int) bool { return x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1 }

// boxOf finds an element's box in a full-page screenshot img: the page's
// coordinates (the viewport's plus the scroll) scaled to the image, whose
// width is the layout viewport's at the device pixel ratio.
func (b *browser) boxOf(img image.Image, id string) box {
	b.t.Helper()
	v := evalJS[[]float64](b, fmt.Sprintf(`(e => { const r = e.getBoundingClientRect();
		return [r.left + scrollX, r.top + scrollY, r.right + scrollX, r.bottom + scrollY, document.documentElement.clientWidth];
	})(document.getElementById(%q))`, id))
	scale := float64(img.Bounds().Dx()) / v[4]
	return box{int(v[0]*scale + 0.5), int(v[1]*scale + 0.5), int(v[2]*scale + 0.5), int(v[3]*scale + 0.5)}
}

// videoPixels are the pixels of the video element id in img, without the
// self-view that lies over the other side's picture.
func (b *browser) videoPixels(img image.Image, id string) (in box, skip box) {
	b.t.Helper()
	in, skip = b.boxOf(img, id), box{}
	if id == "remote" {
		skip = b.boxOf(img, "self")
	}
	if in.x1-in.x0 < 16 || in.y1-in.y0 < 16 || !image.Rect(in.x0, in.y0, in.x1, in.y1).In(img.Bounds()) {
		b.t.Fatalf("#%s is at %+v, not in the %v screenshot", id, in, img.Bounds())
	}
	return in, skip
}

// picture measures the box: how much of it is not black (a video element
// without frames is the black of its box), and in how many colours (at 2
// bits a channel) that each cover a twentieth of it. The colours are only
// reported: Chromium's fake camera is one green but for a twentieth.
func picture(img image.Image, in, skip box) (lit float64, colours int) {
	count := map[uint32]int{}
	var n, bright int
	for y := in.y0; y < in.y1; y++ {
		for x := in.x0; x < in.x1; x++ {
			if skip.contains(x, y) {
				continue
			}
			r, g, bl, _ := img.At(x, y).RGBA()
			n++
			if max(r, g, bl)>>8 > 40 {
				bright++
			}
			count[r>>14<<4|g>>14<<2|bl>>14]++
		}
	}
	for _, c := range count {
		if c*20 >= n {
			colours++
		}
	}
	return float64(bright) / float64(n), colours
}

// changed counts the pixels of the box that differ between a and b by
// more than compression's noise in some channel.
func changed(a, b image.Image, in, skip box) int {
	var d int
	for y := in.y0; y < in.y1; y++ {
		for x := in.x0; x < in.x1; x++ {
			if skip.contains(x, y) {
				continue
			}
			r0, g0, b0, _ := a.At(x, y).RGBA()
			r1, g1, b1, _ := b.At(x, y).RGBA()
			if diff(r0, r1) > 24 || diff(g0, g1) > 24 || diff(b0, b1) > 24 {
				d++
			}
		}
	}
	return d
}

func diff(a, b uint32) uint32 {
	a, b = a>>8, b>>8
	if a > b {
		return a - b
	}
	return b - a
}

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the screenshot is no PNG: %v", err)
	}
	return img
}

// screenshotShowing keeps a screenshot of the page as name, and fails
// unless the video element id shows the other side's frames in it: a
// picture, which moves between this screenshot and one taken after the
// element has presented five more frames (requestVideoFrameCallback, an
// event: no sleep).
func (b *browser) screenshotShowing(name, id string) {
	b.t.Helper()
	_, first := b.keepScreenshot(name)
	img := decodePNG(b.t, first)
	in, skip := b.videoPixels(img, id)
	lit, colours := picture(img, in, skip)
	if lit < 0.33 {
		b.t.Errorf("%s: #%s shows no picture: %.0f %% of it lit, %d colours", name, id, 100*lit, colours)
	}
	evalJS[bool](b, fmt.Sprintf(`new Promise(done => { const v = document.getElementById(%q); let n = 0;
		const next = () => ++n >= 5 ? done(true) : v.requestVideoFrameCallback(next); v.requestVideoFrameCallback(next); })`, id))
	later := decodePNG(b.t, b.capture())
	if !later.Bounds().Eq(img.Bounds()) {
		b.t.Fatalf("%s: the second screenshot is %v, the first %v", name, later.Bounds(), img.Bounds())
	}
	d := changed(img, later, in, skip)
	if d == 0 {
		b.t.Errorf("%s: #%s's picture did not change over five frames", name, id)
	}
	b.t.Logf("%s: #%s at %+v: %.0f %% lit, %d colours, %d pixels changed over five frames", name, id, in, 100*lit, colours, d)
}
