// Package summary is the screen after a call: who, how long, how it ended,
// and how it went.
package summary

import (
	"fmt"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/tui/common"
)

// Info is what the screen shows.
type Info struct {
	Label, Number string
	// Result is the event that ended the call ("ended", "refused", ...).
	Result   call.EventKind
	Reason   string
	Duration time.Duration
	Answered bool
	Stats    *call.Stats
	// Trust is what the phone made of the peer's key; Note what the user
	// did about it here.
	Trust *call.Trust
	Note  string
}

// Headline says how the call ended, in words.
func Headline(in Info) string {
	if in.Trust != nil && !in.Trust.State.Carries() {
		return "call not connected"
	}
	switch in.Result {
	case call.EventRefused:
		return "call refused"
	case call.EventUnavailable:
		return "not reachable"
	case call.EventBusy:
		return "busy"
	case call.EventNoAnswer:
		return "no answer"
	case call.EventCancelled:
		return "call cancelled"
	case call.EventError:
		return "call failed"
	}
	return "call ended"
}

// View draws the screen.
func View(c *common.Common, in Info, helpView string) string {
	s := c.Styles
	lines := []string{s.Accent.Render(Headline(in)), "", s.Title.Render(in.Label)}
	if f := c.FormatNumber(in.Number); f != in.Label {
		lines = append(lines, f)
	}
	lines = append(lines, "")
	// A call refused for its key never carried media: no duration, no
	// figures of a call that did not happen.
	answered := in.Answered && (in.Trust == nil || in.Trust.State.Carries())
	if answered {
		lines = append(lines, "duration "+common.Duration(in.Duration))
	}
	if in.Reason != "" {
		lines = append(lines, s.Subtle.Render(in.Reason))
	}
	lines = append(lines, common.TrustLines(c, in.Trust, in.Number)...)
	if in.Note != "" {
		lines = append(lines, s.Accent.Render(in.Note))
	}
	if st := in.Stats; st != nil && answered {
		// Set-up counts from the answer; the ringing before it is its own.
		rang := ""
		if st.RingMs > 0 {
			rang = fmt.Sprintf("rang %.1f s · ", st.RingMs/1000)
		}
		lines = append(lines,
			fmt.Sprintf("%ssetup %.0f ms · video %d×%d %.0f fps · rtt %.0f ms · loss %.1f%%",
				rang, st.SetupMs, st.Video.Width, st.Video.Height, st.Video.FPS, st.Network.RTTMs, st.Network.LossPct))
	}
	h := max(0, c.Height-lipgloss.Height(helpView))
	body := common.Box(s.Panel, lines, c.Width, h)
	return lipgloss.JoinVertical(lipgloss.Left, lipgloss.Place(c.Width, h, lipgloss.Center, lipgloss.Center, body), helpView)
}
