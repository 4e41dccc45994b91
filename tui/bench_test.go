package tui

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/tui/components/videopane"
)

// benchFrames are moving pictures with texture and noise, so no frame is
// the same as the last and run-length coding is not flattered.
func benchFrames(w, h, n int) []device.Frame {
	frames := make([]device.Frame, n)
	for k := range frames {
		f := device.NewFrame(w, h)
		s := uint32(k*2654435761 + 1)
		cx, cy := float64(w)/2+float64(w)/6*math.Sin(float64(k)/3), float64(h)/2
		for y := range h {
			for x := range w {
				dx, dy := float64(x)-cx, float64(y)-cy
				v := 60 + 90*float64(y)/float64(h) + 12*math.Sin(float64(x)/9+float64(k))
				if dx*dx+dy*dy < float64(h*h)/16 {
					v = 170
				}
				s = s*1664525 + 1013904223
				f.Y[y*w+x] = uint8(max(16, min(235, int(v)+int(s>>24)%13-6)))
			}
		}
		for i := range f.U {
			f.U[i], f.V[i] = uint8(110+i%7), uint8(150-i%5)
		}
		frames[k] = f
	}
	return frames
}

// inCallModel is a model on the in-call screen at w×h with a stats line,
// its config changed by opts.
func inCallModel(w, h int, opts ...func(*Config)) (*Model, *Mailbox) {
	remote, local := &Mailbox{}, &Mailbox{}
	cfg := Config{Number: "+12025550100", Remote: remote, Local: local, Connect: nil}
	for _, o := range opts {
		o(&cfg)
	}
	m := New(cfg)
	m.phone = newFakePhone()
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.cur = &activeCall{id: "c1", peer: "600", outgoing: true, start: time.Now(), local: "127.77.0.1:40000",
		remote: "127.77.0.2:40002", media: "relay", stats: &call.Stats{Network: call.NetworkStats{RTTMs: 12}}}
	m.screen = ScreenInCall
	local.WriteFrame(benchFrames(320, 240, 1)[0])
	return m, remote
}

// BenchmarkInCallFrame is the TUI's whole per-frame path for one new remote
// frame: the engine's write into the mailbox, the tick's Update (copy into
// the pane), and View (render and compose with the self-view and status
// line). cpu%@30fps is the share of one core it takes at 30 frames a second.
func BenchmarkInCallFrame(b *testing.B) {
	frames := benchFrames(640, 480, 8)
	for _, size := range [][2]int{{80, 24}, {160, 48}, {240, 70}} {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			m, remote := inCallModel(size[0], size[1])
			bytesOut := 0
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				remote.WriteFrame(frames[i%len(frames)])
				m.Update(tickMsg{gen: m.tickGen})
				bytesOut += len(m.View().Content)
			}
			perFrame := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perFrame*30/1e9*100, "cpu%@30fps")
			b.ReportMetric(float64(bytesOut)/float64(b.N), "B/view")
		})
	}
}

// BenchmarkInCallFrameTerminal adds what Bubble Tea v2's cell renderer does
// with each view — parse it into cells, diff against the screen, write the
// changes — using the same library (ultraviolet) it uses. B/frame is what
// reaches the terminal.
func BenchmarkInCallFrameTerminal(b *testing.B) {
	frames := benchFrames(640, 480, 8)
	for _, path := range []string{"cells", "painted"} {
		for _, size := range [][2]int{{80, 24}, {160, 48}, {200, 60}, {240, 70}} {
			b.Run(fmt.Sprintf("%s/%dx%d", path, size[0], size[1]), func(b *testing.B) {
				w, h := size[0], size[1]
				var out bytes.Buffer
				var video *videopane.Output
				var opts []func(*Config)
				if path == "painted" {
					// The video painted beside the cell renderer, damage
					// tracked, as the phone does (Bubble Tea writes
					// through the Output too).
					video = videopane.NewOutput(&out, videopane.OutputConfig{})
					opts = append(opts, func(c *Config) { c.Video = video })
				}
				m, remote := inCallModel(w, h, opts...)
				var term io.Writer = &out
				if video != nil {
					term = video
				}
				scr := uv.NewTerminalRenderer(term, []string{"TERM=xterm-256color", "COLORTERM=truecolor"})
				scr.SetColorProfile(colorprofile.TrueColor)
				scr.SetFullscreen(true)
				scr.SetRelativeCursor(false)
				cells := uv.NewScreenBuffer(w, h)
				written := 0
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					remote.WriteFrame(frames[i%len(frames)])
					m.Update(tickMsg{gen: m.tickGen})
					cells.Clear()
					uv.NewStyledString(m.View().Content).Draw(cells, cells.Bounds())
					scr.Render(cells.RenderBuffer)
					if err := scr.Flush(); err != nil {
						b.Fatal(err)
					}
					if video != nil {
						if err := video.Flush(); err != nil {
							b.Fatal(err)
						}
					}
					written += out.Len()
					out.Reset()
				}
				perFrame := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				b.ReportMetric(perFrame*30/1e9*100, "cpu%@30fps")
				b.ReportMetric(float64(written)/float64(b.N), "B/frame")
			})
		}
	}
}
