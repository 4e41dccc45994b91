package tui

import (
	"slices"
	"testing"
)

// TestWaitForWakesOnEngineCalls: the harness notices a call the TUI makes
// of the engine from a command that sends no message afterwards (it used
// to wait for the next message, which never came).
func TestWaitForWakesOnEngineCalls(t *testing.T) {
	d := newDriver(t, Config{})
	// The engine call comes from another goroutine, after waitFor's first
	// look, and no message follows it (as when the TUI refuses a call).
	started := false
	d.waitFor("the late engine call", func() bool {
		if !started {
			started = true
			go d.phone.Refuse("late")
			return false
		}
		return slices.Contains(d.phone.Calls(), "refuse late")
	})
}
