package main

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/call/wire"
)

// callDriver is `dialtone call`'s policy: it prints the phone's events and
// dials, answers, refuses and hangs up as the flags say.
type callDriver struct {
	f     *callFlags
	phone *session.Phone
	ctx   context.Context
	stop  context.CancelFunc
	out   *json.Encoder

	dialRes chan error
	hangups chan call.ID
	timers  []*time.Timer

	dialed    bool
	ours      call.ID // --dial: the call we placed
	active    call.ID // --answer: the call we took
	taken     map[call.ID]bool
	connected map[call.ID]bool
	ended     int
	code      int
	why       string
	lastStats *call.Stats
}

func (d *callDriver) loop() {
	d.taken, d.connected = map[call.ID]bool{}, map[call.ID]bool{}
	if d.f.dial != "" {
		d.code, d.why = exitCallFailed, "no call was placed"
	}
	defer func() {
		for _, t := range d.timers {
			t.Stop()
		}
	}()
	events := d.phone.Events()
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return
			}
			_ = d.out.Encode(e)
			d.onEvent(e)
		case err := <-d.dialRes:
			d.onDialResult(err)
		case id := <-d.hangups:
			_ = d.phone.Hangup(id)
		}
	}
}

// onDialResult takes what Dial returned. A dial the server refused ends the
// run; one that ended because the run is already stopping (the call was
// busy or unavailable, and its ended event came first) changes nothing.
func (d *callDriver) onDialResult(err error) {
	if err == nil || errors.Is(err, session.ErrUnavailable) || errors.Is(err, session.ErrBusy) {
		return
	}
	if d.ctx.Err() != nil {
		return
	}
	d.code, d.why = exitCallError, "dialling: "+err.Error()
	d.stop()
}

func (d *callDriver) onEvent(e call.Event) {
	switch e.Kind {
	case call.EventRegistered:
		if d.f.dial != "" && !d.dialed {
			d.dialed = true
			go func() {
				_, err := d.phone.Dial(d.ctx, d.f.dial)
				select {
				case d.dialRes <- err:
				case <-d.ctx.Done():
				}
			}()
		}
	case call.EventIncoming:
		if d.f.answer == "auto" && d.active == "" {
			d.active = e.Call
			d.taken[e.Call] = true
			_ = d.phone.Accept(e.Call)
		} else {
			_ = d.phone.Refuse(e.Call)
		}
	case call.EventRinging, call.EventUnavailable, call.EventBusy, call.EventAccepted:
		if d.f.dial != "" && d.ours == "" {
			d.ours = e.Call
		}
	case call.EventConnected:
		d.connected[e.Call] = true
		d.sendTones(e.Call)
		if d.f.duration > 0 {
			id := e.Call
			d.timers = append(d.timers, time.AfterFunc(d.f.duration, func() {
				select {
				case d.hangups <- id:
				case <-d.ctx.Done():
				}
			}))
		}
	case call.EventStats:
		d.lastStats = e.Stats
	case call.EventEnded:
		d.onEnded(e)
	}
}

func (d *callDriver) onEnded(e call.Event) {
	if e.Stats != nil {
		d.lastStats = e.Stats
	}
	normal := d.connected[e.Call] && e.Reason == wire.ReasonHangup
	if d.f.dial != "" {
		if e.Call != d.ours {
			return
		}
		d.code, d.why = dialOutcome(e.Reason, normal)
		d.stop()
		return
	}
	if e.Call == d.active {
		d.active = ""
	}
	if d.taken[e.Call] && !normal {
		d.code, d.why = exitCallFailed, "a call ended abnormally: "+e.Reason
	}
	d.ended++
	if d.f.maxCalls > 0 && d.ended >= d.f.maxCalls {
		d.stop()
	}
}

// dialOutcome maps how our call ended to the exit status.
func dialOutcome(reason string, normal bool) (int, string) {
	switch {
	case normal:
		return exitCallOK, ""
	case reason == session.ReasonRefused:
		return exitCallRefused, "the call was refused"
	case reason == session.ReasonUnavailable:
		return exitCallUnavailable, "the number is unavailable"
	case reason == session.ReasonBusy:
		return exitCallBusy, "the number is busy"
	case reason == session.ReasonNoAnswer || reason == session.ReasonCancelled:
		return exitCallNoAnswer, "the call was not answered"
	}
	return exitCallFailed, "the call failed: " + reason
}

// sendTones sends --dtmf's digits in a call that has just connected.
func (d *callDriver) sendTones(id call.ID) {
	if d.f.dtmf == "" {
		return
	}
	if err := d.phone.SendTones(id, d.f.dtmf); err != nil {
		_ = d.out.Encode(call.Event{Kind: call.EventError, Time: time.Now(), Call: id, Error: "--dtmf: " + err.Error()})
	}
}
