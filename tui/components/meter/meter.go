// Package meter draws a level (0–1) as a short bar of blocks, for the mic
// level in the status line.
package meter

import "strings"

// Bar draws level in width cells: full blocks for the level, light shade for
// the rest.
func Bar(level float64, width int) string {
	if width <= 0 {
		return ""
	}
	level = max(0, min(1, level))
	n := int(level*float64(width) + 0.5)
	return strings.Repeat("█", n) + strings.Repeat("░", width-n)
}
