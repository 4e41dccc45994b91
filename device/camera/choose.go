package camera

import (
	"fmt"
	"math"
)

// Choice is the format, size and frame interval a Camera streams.
type Choice struct {
	Pixel         PixelFormat
	Width, Height int
	// Interval is zero when the device does not list its frame intervals.
	Interval Interval
}

func (c Choice) String() string {
	s := fmt.Sprintf("%s %dx%d", c.Pixel, c.Width, c.Height)
	if c.Interval.FPS() > 0 {
		s += "@" + c.Interval.String()
	}
	return s
}

// rateSlack is how far apart two frame rates may be and still count as the
// same, so 29.97 and 30 fps do not decide between formats — cost does.
const rateSlack = 0.5

type candidate struct {
	Choice
	cost  int
	order int // device order, the last tie-break
}

// choose picks what to stream for the requested mode (defaults filled in):
//
//  1. the size: the smallest offered size at least as large as requested in
//     both dimensions, or else the largest offered size;
//  2. the rate: the offered rate at that size nearest the requested one;
//  3. the format: among those giving that size and (within rateSlack) that
//     rate, the cheapest to convert — so MJPEG is chosen only when no raw
//     format reaches the size and rate.
//
// A non-zero only restricts the choice to that pixel format.
func choose(formats []Format, want Mode, only PixelFormat) (Choice, error) {
	want = want.withDefaults()
	var cands []candidate
	for _, f := range formats {
		c, ok := cost[f.Pixel]
		if !ok || (only != 0 && f.Pixel != only) {
			continue
		}
		for _, s := range f.Sizes {
			if s.Width < 2 || s.Height < 2 {
				continue
			}
			ivs := s.Intervals
			if len(ivs) == 0 {
				ivs = []Interval{{}}
			}
			for _, iv := range ivs {
				cands = append(cands, candidate{Choice{f.Pixel, s.Width, s.Height, iv}, c, len(cands)})
			}
		}
	}
	if len(cands) == 0 {
		what := "no format that can be converted to I420"
		if only != 0 {
			what = "no " + only.String() + " format"
		}
		return Choice{}, fmt.Errorf("%w: %s for %s; the device offers: %s", ErrMode, what, want, offered(formats))
	}
	best := cands[0]
	for _, c := range cands[1:] {
		if sizeBetter(c.Choice, best.Choice, want) {
			best = c
		}
	}
	bestDiff := math.Inf(1)
	for _, c := range cands {
		if c.Width == best.Width && c.Height == best.Height {
			bestDiff = min(bestDiff, rateDiff(c.Interval, want))
		}
	}
	var pick *candidate
	for i := range cands {
		c := &cands[i]
		if c.Width != best.Width || c.Height != best.Height || rateDiff(c.Interval, want) > bestDiff+rateSlack {
			continue
		}
		if pick == nil || formatBetter(c, pick, want) {
			pick = c
		}
	}
	return pick.Choice, nil
}

// sizeBetter reports whether a's size suits want better than b's.
func sizeBetter(a, b Choice, want Mode) bool {
	aCovers := a.Width >= want.Width && a.Height >= want.Height
	bCovers := b.Width >= want.Width && b.Height >= want.Height
	if aCovers != bCovers {
		return aCovers
	}
	aArea, bArea := a.Width*a.Height, b.Width*b.Height
	if aArea != bArea {
		return aCovers == (aArea < bArea) // covering: smallest; else largest
	}
	return dimDist(a, want) < dimDist(b, want)
}

func dimDist(c Choice, want Mode) int {
	return abs(c.Width-want.Width) + abs(c.Height-want.Height)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// rateDiff is how far an interval's rate is from the wanted one; an unknown
// rate counts as a match, since the device will pick something.
func rateDiff(iv Interval, want Mode) float64 {
	if iv.FPS() == 0 {
		return 0
	}
	return math.Abs(iv.FPS() - want.FPS)
}

func formatBetter(a, b *candidate, want Mode) bool {
	if a.cost != b.cost {
		return a.cost < b.cost
	}
	if da, db := rateDiff(a.Interval, want), rateDiff(b.Interval, want); da != db {
		return da < db
	}
	if a.Interval.FPS() != b.Interval.FPS() {
		return a.Interval.FPS() > b.Interval.FPS()
	}
	return a.order < b.order
}
