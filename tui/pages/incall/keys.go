package incall

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/tui/common"
)

// KeysLine is the line of the call's keypad tones, "" before any: what we
// sent, and the keys from the other side (a menu's answer, or a SIP phone
// user pressing keys).
func KeysLine(c *common.Common, in Info) string {
	var parts []string
	if in.KeysSent != "" {
		parts = append(parts, "keys sent: "+in.KeysSent)
	}
	if in.KeysHeard != "" {
		parts = append(parts, "keys from the other side: "+in.KeysHeard)
	}
	if len(parts) == 0 {
		return ""
	}
	return ansi.Truncate(" "+strings.Join(parts, c.Styles.Subtle.Render(" · ")), c.Width, "…")
}
