package styles

import (
	"image/color"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// TestHelpReadableIn16Colours: brought down to 16 colours, the help bar's
// keys, words and separators are not the terminal's background colour.
func TestHelpReadableIn16Colours(t *testing.T) {
	for _, dark := range []bool{true, false} {
		h := Default(dark).Help
		bg := []color.Color{ansi.White, ansi.BrightWhite} // a light terminal
		if dark {
			bg = []color.Color{ansi.Black}
		}
		for name, c := range map[string]color.Color{
			"key": h.ShortKey.GetForeground(), "desc": h.ShortDesc.GetForeground(), "separator": h.ShortSeparator.GetForeground(),
			"full key": h.FullKey.GetForeground(), "full desc": h.FullDesc.GetForeground(), "full separator": h.FullSeparator.GetForeground(),
		} {
			got := colorprofile.ANSI.Convert(c)
			for _, b := range bg {
				if got == b {
					t.Errorf("dark %v: the help %s is %v in 16 colours, the background's colour", dark, name, got)
				}
			}
		}
	}
}
