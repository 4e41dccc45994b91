package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/dialtone/dialtone/call"
)

// toneMedia is a Media that carries keypad tones (*media.Session does);
// a Media without them takes none and shows none.
type toneMedia interface {
	SendTones(digits string) error
	Tones() <-chan byte
}

// toneKeys are what SendTones takes: the keys, and ',' for a pause.
const toneKeys = "0123456789*#ABCDabcd,"

// tonesOf is m's channel of received keys, or nil.
func tonesOf(m Media) <-chan byte {
	if t, ok := m.(toneMedia); ok {
		return t.Tones()
	}
	return nil
}

// SendTones sends keypad digits (0–9, *, #, A–D; ',' pauses a second) in
// an active call, as telephone events on its audio, after any digits still
// being sent. The media may still refuse them — no microphone, or a peer
// that takes no telephone events — which the log says.
func (p *Phone) SendTones(id call.ID, digits string) error {
	if digits == "" || strings.Trim(digits, toneKeys) != "" {
		return fmt.Errorf("sending tones %q: %w", digits, ErrBadTones)
	}
	return p.do(context.Background(), func(context.Context) error {
		rec := p.calls[id]
		if rec == nil || rec.state != call.StateActive || rec.media == nil {
			return fmt.Errorf("sending tones in %s: %w", id, ErrNoCall)
		}
		rec.media.do(func(m Media) error {
			err := ErrBadTones
			if t, ok := m.(toneMedia); ok {
				err = t.SendTones(digits)
			}
			if err != nil {
				p.log.Warn("sending tones", keyCall, id, "err", err)
			}
			return nil
		})
		return nil
	})
}

// onTone reports a key the other party sent.
func (p *Phone) onTone(rec *callRec, d byte) {
	p.emit(call.Event{Kind: call.EventTone, Call: rec.id, Peer: rec.peer, Digit: string(d)})
}
