// Package incall is the screen of a call in progress: the remote video
// filling the free space with its aspect ratio kept, a small self-view in
// the corner, an optional stats panel, the status line and the help bar.
//
// The video path is kept cheap: the panes cache their text until a new
// frame or size arrives, and composing the self-view into the remote
// picture touches only the rows it covers.
package incall

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/tui/common"
	"github.com/dialtone/dialtone/tui/components/meter"
	"github.com/dialtone/dialtone/tui/components/videopane"
)

// Info is the call as the screen shows it.
type Info struct {
	Label, Number string
	Start         time.Time // accepted; zero while connecting
	LocalLease    string
	RemoteLease   string
	Media         string
	Connected     bool // media flows
	Stats         *call.Stats
	Muted         bool
	CameraOff     bool
	ShowStats     bool
	// Display is the stats panel's line on how video reaches the terminal
	// (mode, the frame rate it took, bytes per frame); empty leaves it out.
	Display string
	// Overlay, when set, is drawn centred in place of the video (the call
	// waiting dialog).
	Overlay string
	// Notice, when set, is a line over the status line: the connection to
	// the server was lost, or is back.
	Notice string
	// PeerCameraOff: the other side says its camera is off (or it has
	// none). Stalled is how long no picture has come although it is on.
	PeerCameraOff bool
	Stalled       time.Duration
	// Echo: the call is the echo test, whose picture is one's own.
	Echo bool
	// Trust is what the phone made of the peer's signed statement; nil
	// until its SDP came.
	Trust *call.Trust
	// KeysSent and KeysHeard are the call's last keypad tones: typed
	// here, and pressed by the other side. Either makes a line over the
	// status line.
	KeysSent, KeysHeard string
}

// Model holds the two video panes.
type Model struct {
	Remote *videopane.Pane
	Self   *videopane.Pane
	// Raw leaves the video region blank in the view, for a painter that
	// draws it outside the TUI's text (see Video).
	Raw bool
	b   strings.Builder

	video      videopane.Grid // the composed region, when Raw
	videoRows  int            // the region's rows in the last view; 0 when it showed no video
	videoWidth int
	videoGens  [2]uint64
}

// New returns the screen with empty panes.
func New() *Model {
	return &Model{Remote: videopane.NewPane(videopane.Config{}), Self: videopane.NewPane(videopane.Config{})}
}

// SetColorMode sets both panes' colour mode.
func (m *Model) SetColorMode(mode videopane.ColorMode) {
	m.Remote.SetColorMode(mode)
	m.Self.SetColorMode(mode)
}

// SetGlyphs sets both panes' glyphs for the painted video (Raw).
func (m *Model) SetGlyphs(g videopane.Glyphs) {
	m.Remote.SetGlyphs(g)
	m.Self.SetGlyphs(g)
}

// Self-view size: a fifth of the width, 4:3, never below the pane's
// minimum, and only when the remote picture keeps most of the screen.
const (
	selfMinCols = 24
	selfMargin  = 1
)

// Layout sizes the panes for a width×height screen with the given number of
// lines below the video; it returns the video area's rows.
func (m *Model) Layout(width, height, below int, in Info) int {
	vh := max(0, height-below)
	m.Remote.SetSize(width, vh)
	sw := max(selfMinCols, width/5)
	sh := (sw*3/4 + 1) / 2
	if width < 3*sw || vh < 2*sh+2 {
		sw, sh = 0, 0
	}
	m.Self.SetSize(sw, sh)
	noCamera := !in.CameraOff && in.Connected && in.Stats != nil && !in.Stats.Send.CameraOn
	switch {
	case in.CameraOff:
		m.Self.SetStatus("camera off")
	case noCamera:
		// The engine found no camera (or could not open it): say so, rather
		// than leave an unexplained "no video".
		m.Self.SetStatus("no camera")
	default:
		m.Self.SetStatus("")
	}
	switch {
	case in.Start.IsZero():
		m.Remote.SetStatus("connecting…")
	case in.Echo && in.CameraOff:
		// The echo test sends back what it gets: nothing, with the
		// camera off. Not a stall, and not the other side's doing.
		m.Remote.SetStatus("your camera is off — v turns it on")
	case in.Echo && noCamera:
		// Nothing to send, so nothing comes back: say why, and how to
		// try the phone without a camera.
		m.Remote.SetStatus("no camera here, so no picture to echo — --camera test sends a test pattern")
	case in.PeerCameraOff:
		m.Remote.SetStatus("their camera is off")
	case in.Stalled > 0:
		// The last picture is not left up as if live.
		m.Remote.SetStatus(fmt.Sprintf("video stalled — no picture for %d s", int(in.Stalled/time.Second)))
	case in.Connected && in.Stats != nil && in.Stats.Video.FramesDecoded == 0:
		// Media flows but no picture: the other side sends none.
		m.Remote.SetStatus("no video from the other side")
	default:
		m.Remote.SetStatus("")
	}
	return vh
}

// View draws the screen at c's size. The help bar and the status line are
// always there; the stats panel takes what room is left, then the video.
func (m *Model) View(c *common.Common, in Info, now time.Time, helpView string) string {
	status := StatusLine(c, in, now)
	if k := KeysLine(c, in); k != "" {
		status = k + "\n" + status
	}
	if in.Notice != "" {
		status = c.Styles.Warn.Render(ansi.Truncate(" "+in.Notice, c.Width, "…")) + "\n" + status
	}
	var panel string
	if in.ShowStats {
		panel = StatsPanel(c, in, c.Height-lipgloss.Height(helpView)-lipgloss.Height(status))
	}
	below := lipgloss.Height(helpView) + lipgloss.Height(status)
	if panel != "" {
		below += lipgloss.Height(panel)
	}
	vh := m.Layout(c.Width, c.Height, below, in)
	m.b.Reset()
	m.videoRows = 0
	if vh > 0 {
		switch {
		case panel != "" && vh < 3,
			in.Overlay == "" && vh < videopane.MinRows && strings.Count(helpView, "\n") > 0:
			// The panel, or the full help, leaves no room for a picture
			// worth the name: the terminal is not too small, it is full.
			m.b.WriteString(strings.Repeat("\n", vh-1))
		case in.Overlay != "":
			m.b.WriteString(lipgloss.Place(c.Width, vh, lipgloss.Center, lipgloss.Center, in.Overlay))
		case m.Raw:
			m.b.WriteString(strings.Repeat("\n", vh-1))
			m.videoRows, m.videoWidth = vh, c.Width
		default:
			m.composeVideo(c.Width, vh)
		}
		m.b.WriteByte('\n')
	}
	if panel != "" {
		m.b.WriteString(panel)
		m.b.WriteByte('\n')
	}
	m.b.WriteString(status)
	m.b.WriteByte('\n')
	m.b.WriteString(helpView)
	return m.b.String()
}

// composeVideo writes the remote picture with the self-view over its
// bottom-right corner.
func (m *Model) composeVideo(width, vh int) {
	if vh == 0 {
		return
	}
	remote := m.Remote.View()
	sw, sh := m.Self.Size()
	if sw == 0 || sh == 0 {
		m.b.WriteString(remote)
		return
	}
	self := m.Self.View()
	top := vh - sh - selfMargin
	left := width - sw - selfMargin
	row := 0
	for line := range strings.SplitSeq(remote, "\n") {
		if row > 0 {
			m.b.WriteByte('\n')
		}
		if row >= top && row < top+sh {
			var sl string
			sl, self, _ = strings.Cut(self, "\n")
			// The self-view is framed by the default background so it stands
			// apart from the picture behind it.
			m.b.WriteString(ansi.Truncate(line, left, ""))
			m.b.WriteString("\x1b[0m")
			m.b.WriteString(sl)
			m.b.WriteString("\x1b[0m")
			m.b.WriteString(spaces(selfMargin))
		} else {
			m.b.WriteString(line)
		}
		row++
	}
}

// Video returns the video region of the last View when Raw is set: its
// cells (the remote picture with the self-view over its corner, as
// composeVideo draws them) at the top of the screen, and whether they
// changed since the last call. ok is false when the view showed no video
// region (an overlay, no room).
func (m *Model) Video() (g *videopane.Grid, changed, ok bool) {
	if m.videoRows == 0 {
		return nil, false, false
	}
	remote, rg := m.Remote.Grid()
	self, sg := m.Self.Grid()
	gens := [2]uint64{rg, sg}
	if gens == m.videoGens && m.video.Cols == m.videoWidth && m.video.Rows == m.videoRows {
		return &m.video, false, true
	}
	m.videoGens = gens
	m.video.Resize(m.videoWidth, m.videoRows)
	m.video.Blit(remote, 0, 0)
	if sw, sh := m.Self.Size(); sw > 0 && sh > 0 {
		top, left := m.videoRows-sh-selfMargin, m.videoWidth-sw-selfMargin
		m.video.Blit(self, left, top)
		m.video.Fill(left+sw, top, selfMargin, sh, videopane.Blank)
	}
	return &m.video, true, true
}

// VideoImages returns the pictures of the last View's video region when
// Raw is set, for a terminal that scales pictures itself: the remote
// picture and the self-view (when it shows one), placed on the screen.
// ok is false when the region showed no video, or a pane shows a
// placeholder, which only cells can draw.
func (m *Model) VideoImages(dst []videopane.Image) ([]videopane.Image, bool) {
	dst = dst[:0]
	if m.videoRows == 0 {
		return dst, false
	}
	f, at, gen, ok := m.Remote.Picture()
	if !ok {
		return dst, false
	}
	dst = append(dst, videopane.Image{Frame: f, At: at, Gen: gen})
	if sw, sh := m.Self.Size(); sw > 0 && sh > 0 {
		f, at, gen, ok := m.Self.Picture()
		if !ok {
			return dst, false
		}
		at.Col += m.videoWidth - sw - selfMargin
		at.Row += m.videoRows - sh - selfMargin
		dst = append(dst, videopane.Image{Frame: f, At: at, Gen: gen})
	}
	return dst, true
}

func spaces(n int) string { return strings.Repeat(" ", n) }

// StatusLine is the one line under the video: the microphone and camera
// state first, so they show at any width, then who and how long, then the
// call's health, cut to the width. The leases and the media path are in the
// stats panel: they are long, and the line must never wrap (the video would
// jump a row when the first stats arrive).
func StatusLine(c *common.Common, in Info, now time.Time) string {
	s := c.Styles
	level := 0.0
	if in.Stats != nil {
		level = in.Stats.Send.MicLevel
	}
	parts := []string{"mic " + meter.Bar(level, 6)}
	if in.Muted {
		parts[0] = s.Bad.Render("mic muted")
	}
	if in.CameraOff {
		parts = append(parts, s.Warn.Render("camera off"))
	}
	who := s.Status.Render("● " + in.Label)
	if in.Start.IsZero() {
		who += " connecting…"
	} else {
		who += " " + common.Duration(now.Sub(in.Start))
	}
	parts = append(parts, who)
	if b := common.TrustBadge(c, in.Trust); b != "" {
		parts = append(parts, b)
	}
	if st := in.Stats; st != nil {
		parts = append(parts,
			fmt.Sprintf("↑%.0f ↓%.0f kbit/s", st.Send.VideoKbps+st.Send.AudioKbps, st.Video.Kbps+st.Audio.Kbps),
			fmt.Sprintf("rtt %.0f ms", st.Network.RTTMs),
			fmt.Sprintf("loss %.1f%%", st.Network.LossPct))
	}
	return ansi.Truncate(" "+strings.Join(parts, s.Subtle.Render(" · ")), c.Width, "…")
}

// StatsPanel is the stats overlay: everything call.Stats knows, and the
// call's leases and media path, in at most maxH lines ("" when not even
// one row fits).
func StatsPanel(c *common.Common, in Info, maxH int) string {
	st := in.Stats
	if st == nil {
		st = &call.Stats{}
	}
	w := max(10, c.Width-4)
	leases := []string{fmt.Sprintf("leases     %s → %s  (%s)", in.LocalLease, in.RemoteLease, in.Media)}
	if ansi.StringWidth(leases[0]) > w {
		// Narrow: one lease a row, so neither is cut.
		leases = []string{"leases     " + in.LocalLease + " →", "           " + in.RemoteLease + " (" + in.Media + ")"}
	}
	rows := append(leases,
		fmt.Sprintf("video in   %d×%d  %.1f fps  %.0f kbit/s  %d frames", st.Video.Width, st.Video.Height, st.Video.FPS, st.Video.Kbps, st.Video.FramesDecoded),
		fmt.Sprintf("video out  %d×%d  %.1f fps  %.0f kbit/s  target %.0f kbit/s", st.Send.Width, st.Send.Height, st.Send.FPS, st.Send.VideoKbps, st.Send.TargetKbps),
		fmt.Sprintf("audio      in %.0f kbit/s  out %.0f kbit/s  concealed %d  level %s", st.Audio.Kbps, st.Send.AudioKbps, st.Audio.Concealed, meter.Bar(st.Audio.Level, 6)),
		fmt.Sprintf("network    rtt %.0f ms  loss %.1f%%  jitter %.0f ms", st.Network.RTTMs, st.Network.LossPct, st.Network.JitterMs),
		fmt.Sprintf("path       %s %s → %s %s", st.Path.Local, st.Path.LocalAddr, st.Path.Remote, st.Path.RemoteAddr),
		setupRow(st),
	)
	if in.Display != "" {
		rows = append(rows, "display    "+in.Display)
	}
	if t := in.Trust; t != nil {
		rows = append(rows, "safety     "+common.TrustWords(t))
	}
	if p := st.Video.Pattern; p != nil {
		rows = append(rows, fmt.Sprintf("pattern    %d frames  %d missing  latency p50 %.0f ms p95 %.0f ms", p.Frames, p.Missing, p.LatencyMsP50, p.LatencyMsP95))
	}
	if maxH < 3 {
		return ""
	}
	rows = rows[:min(len(rows), maxH-2)]
	for i, r := range rows {
		rows[i] = ansi.Truncate(r, w, "…")
	}
	return c.Styles.Panel.Width(min(c.Width, lipgloss.Width(strings.Join(rows, "\n"))+4)).Render(strings.Join(rows, "\n"))
}

// setupRow counts set-up from the answer; the ringing before it is its own.
func setupRow(st *call.Stats) string {
	row := fmt.Sprintf("setup      %.0f ms from the answer", st.SetupMs)
	if st.RingMs > 0 {
		row += fmt.Sprintf("  (rang %.1f s)", st.RingMs/1000)
	}
	return row
}
