package media

import "time"

// A rung is one sending quality: the camera's size divided by div, at fps
// frames a second, worth sending from minKbps of video bitrate.
type rung struct {
	div, fps int
	minKbps  float64
}

// baseRungs is the ladder for a 640×480 camera, best first. The thresholds
// scale with the camera's pixel count. Frame rate goes before size at each
// step down except the first: a halved picture at full motion reads better
// in a terminal than a full one at 15 fps.
var baseRungs = []rung{
	{1, 30, 450},
	{2, 30, 160},
	{2, 15, 90},
	{4, 15, 45},
	{4, 10, 0},
}

// Ladder behaviour.
const (
	// minSendWidth is the narrowest picture sent (unless the camera is
	// narrower): below it the synthetic pattern's code band and most faces
	// stop being legible.
	minSendWidth = 160
	// upMargin and upHold are the hysteresis: step up only when the
	// budget has exceeded the better rung's threshold by upMargin for
	// upHold, so an estimate that wobbles does not flip the size (each
	// change costs a key frame).
	upMargin = 1.3
	upHold   = 2 * time.Second
)

// ladder picks the sending rung from the video budget.
type ladder struct {
	w, h    int
	rungs   []rung
	cur     int
	upSince time.Time // when the budget first allowed the next rung up
}

// newLadder builds the ladder for a w×h camera, starting at the best rung
// that kbps allows.
func newLadder(w, h int, kbps float64) *ladder {
	l := &ladder{w: w, h: h}
	scale := float64(w*h) / (640 * 480)
	for _, r := range baseRungs {
		for r.div > 1 && (w/r.div < min(minSendWidth, w) || (w/r.div)%2 != 0 || (h/r.div)%2 != 0) {
			r.div /= 2
		}
		r.minKbps *= scale
		if n := len(l.rungs); n > 0 && l.rungs[n-1].div == r.div && l.rungs[n-1].fps == r.fps {
			l.rungs[n-1].minKbps = r.minKbps // same quality: keep the lower threshold
			continue
		}
		l.rungs = append(l.rungs, r)
	}
	l.rungs[len(l.rungs)-1].minKbps = 0
	for l.cur < len(l.rungs)-1 && kbps < l.rungs[l.cur].minKbps {
		l.cur++
	}
	return l
}

// update moves at most one rung for a budget of kbps and reports whether
// it moved. Down is at once; up waits for the hysteresis.
func (l *ladder) update(kbps float64, now time.Time) bool {
	if kbps < l.rungs[l.cur].minKbps && l.cur < len(l.rungs)-1 {
		l.cur++
		l.upSince = time.Time{}
		return true
	}
	if l.cur == 0 || kbps < l.rungs[l.cur-1].minKbps*upMargin {
		l.upSince = time.Time{}
		return false
	}
	if l.upSince.IsZero() {
		l.upSince = now
		return false
	}
	if now.Sub(l.upSince) < upHold {
		return false
	}
	l.cur--
	l.upSince = time.Time{}
	return true
}

// size is the current rung's picture size.
func (l *ladder) size() (w, h, div int) {
	d := l.rungs[l.cur].div
	return l.w / d, l.h / d, d
}

// fps is the current rung's frame rate.
func (l *ladder) fps() int { return l.rungs[l.cur].fps }
