package tui

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/tui/components/videopane"
)

// startTick starts a new tick chain for the screen just entered; the
// generation makes any older chain stop at its next tick, so there is only
// ever one.
func (m *Model) startTick() tea.Cmd {
	m.tickGen++
	return m.tick()
}

// tick waits one frame time on the in-call screen (the video rate cap) and
// a second elsewhere (the ringing timer).
func (m *Model) tick() tea.Cmd {
	d := time.Second
	if m.screen == ScreenInCall {
		d = time.Second / time.Duration(m.cfg.FPS)
	}
	gen := m.tickGen
	return tea.Tick(d, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
}

// onTick takes the newest frames from the mailboxes and re-arms.
func (m *Model) onTick(msg tickMsg) tea.Cmd {
	if msg.gen != m.tickGen || (m.screen != ScreenInCall && m.screen != ScreenOutgoing) {
		return nil
	}
	if m.screen == ScreenInCall {
		m.pullFrames()
	}
	return m.tick()
}

// pullFrames copies the newest remote and local frames into the panes; a
// frame already shown is not copied again.
func (m *Model) pullFrames() {
	m.remoteSeq = m.cfg.Remote.Read(m.remoteSeq, m.setRemote)
	m.localSeq = m.cfg.Local.Read(m.localSeq, m.setLocal)
}

func (m *Model) setRemote(f device.Frame) {
	m.incall.Remote.SetFrame(f)
	if m.cur != nil {
		m.cur.lastFrame = m.c.Now()
	}
}

// stallAfter is how long without a new remote picture, while the other
// side says its camera is on, before the picture is shown as stalled
// rather than left up as if live.
const stallAfter = 2 * time.Second

// stalled is how long the remote picture has been stalled; 0 when it is
// not.
func (m *Model) stalled() time.Duration {
	c := m.cur
	if c == nil || c.peerCameraOff || c.lastFrame.IsZero() {
		return 0
	}
	if d := m.c.Now().Sub(c.lastFrame); d >= stallAfter {
		return d
	}
	return 0
}
func (m *Model) setLocal(f device.Frame) { m.incall.Self.SetFrame(f) }

// videoLayout is what, around the video region, makes Bubble Tea's
// renderer draw over it when it changes.
type videoLayout struct {
	// a comparable struct: the zero value is no region
	width, height, rows int
}

// paintVideo hands the in-call video region to the video Output, which
// paints it outside the view (left blank there), or hides it when the view
// shows no video. Called from View, after the view is built, so the region
// and its layout are the ones Bubble Tea is about to draw around.
func (m *Model) paintVideo() {
	out := m.cfg.Video
	if out == nil {
		return
	}
	g, changed, ok := m.incall.Video()
	if !ok || m.screen != ScreenInCall || m.cur == nil {
		out.Hide()
		m.videoLayout = videoLayout{}
		return
	}
	l := videoLayout{m.c.Width, m.c.Height, g.Rows}
	moved := l != m.videoLayout
	m.videoLayout = l
	if m.cfg.Pictures {
		var ok bool
		if m.images, ok = m.incall.VideoImages(m.images); ok {
			if moved || !m.videoPictures || !sameImages(m.images, m.imagesSent) {
				out.SubmitImages(m.images, moved)
				m.imagesSent = append(m.imagesSent[:0], m.images...)
			}
			m.videoPictures = true
			return
		}
	}
	if changed || moved || m.videoPictures {
		out.Submit(g, 0, 0, m.mode, moved)
	}
	m.videoPictures = false
}

// display is the stats panel's video line.
func (m *Model) display() string {
	out := m.cfg.Video
	if out == nil {
		return ""
	}
	s := out.Stats()
	per := 0.0
	if s.Frames > 0 {
		per = float64(s.Bytes) / float64(s.Frames) / 1024
	}
	name := m.cfg.Glyphs.String()
	switch {
	case m.videoPictures:
		name = out.Pictures().String()
	case m.mode == videopane.NoColor:
		name = "ascii"
	}
	return fmt.Sprintf("%s  %.1f fps to the terminal  %.1f KB/frame  %d dropped", name, s.FPS, per, s.Dropped)
}

// sameImages reports whether a and b place the same frames in the same
// places.
func sameImages(a, b []videopane.Image) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Gen != b[i].Gen || a[i].At != b[i].At {
			return false
		}
	}
	return true
}

// resizeSettle is how long after the last resize the screen is cleared
// once more when pictures live in the cells.
const resizeSettle = 300 * time.Millisecond

// resizedMsg says the terminal kept its size resizeSettle after resize gen.
type resizedMsg struct{ gen int }

// onResize, for pictures that live in the cells (sixel, iTerm2), clears
// the screen once the size settles. While a terminal resizes, pictures it
// draws can land outside the places the Output knows (xterm leaves stray
// bands of a sixel picture over the status line), where neither the
// Output's erase nor the renderer's cell diff would ever clear them; the
// clear makes the renderer draw the screen whole and the Output repaint.
func (m *Model) onResize() tea.Cmd {
	out := m.cfg.Video
	if !m.cfg.Pictures || out == nil || !out.Pictures().InCells() {
		return nil
	}
	m.resizeGen++
	gen := m.resizeGen
	return tea.Tick(resizeSettle, func(time.Time) tea.Msg { return resizedMsg{gen: gen} })
}
