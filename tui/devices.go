package tui

import "strings"

// devicesLines says which devices are in use and which are missing, and,
// when one is missing, how to try the phone without it.
func devicesLines(devs []Device) (line, hint string) {
	var parts []string
	missing := false
	for _, d := range devs {
		switch {
		case d.Missing != "":
			missing = missing || d.Kind != "speaker"
			parts = append(parts, "no "+d.Kind+" ("+d.Missing+")")
		case d.Off:
			parts = append(parts, d.Kind+" off")
		default:
			parts = append(parts, d.Kind+" "+d.Name)
		}
	}
	if missing {
		hint = "to try the phone without them: --camera test --mic tone"
	}
	return strings.Join(parts, " · "), hint
}
