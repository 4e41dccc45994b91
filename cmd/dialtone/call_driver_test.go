package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/session"
)

// TestDialOutcomeSurvivesTheDialReturning: a busy or unavailable number
// ends the call before Dial has returned; Dial then returns the stopped
// run's context error, which must not turn the exit status into a failed
// dial. A dial the server refuses while the run goes on still ends it.
func TestDialOutcomeSurvivesTheDialReturning(t *testing.T) {
	for _, tc := range []struct {
		reason string
		want   int
	}{
		{session.ReasonBusy, exitCallBusy},
		{session.ReasonUnavailable, exitCallUnavailable},
		{session.ReasonRefused, exitCallRefused},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			d := newTestDriver(t)
			d.onEvent(call.Event{Kind: call.EventDialing, Peer: "+15550100001"})
			d.onEvent(call.Event{Kind: call.EventBusy, Call: "c1"})
			d.onEvent(call.Event{Kind: call.EventEnded, Call: "c1", Reason: tc.reason})
			if d.ctx.Err() == nil {
				t.Fatal("the ended call did not stop the run")
			}
			d.onDialResult(fmt.Errorf("dialling: %w", context.Canceled))
			if d.code != tc.want {
				t.Errorf("exit status %d (%s), want %d", d.code, d.why, tc.want)
			}
		})
	}
	t.Run("refused dial", func(t *testing.T) {
		d := newTestDriver(t)
		d.onDialResult(errors.New("server: not allowed"))
		if d.code != exitCallError || d.ctx.Err() == nil {
			t.Errorf("exit status %d, stopped %v; want %d and stopped", d.code, d.ctx.Err() != nil, exitCallError)
		}
	})
	t.Run("busy dial", func(t *testing.T) {
		d := newTestDriver(t)
		d.onDialResult(session.ErrBusy)
		if d.ctx.Err() != nil {
			t.Error("Dial's ErrBusy stopped the run before the ended event")
		}
	})
}

func newTestDriver(t *testing.T) *callDriver {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d := &callDriver{f: &callFlags{dial: "+15550100001"}, ctx: ctx, stop: cancel,
		taken: map[call.ID]bool{}, connected: map[call.ID]bool{}}
	d.code, d.why = exitCallFailed, "no call was placed"
	return d
}
