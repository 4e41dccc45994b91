package switchboard

import (
	"context"
	"testing"

	"github.com/dialtone/dialtone/call/wire"
)

// TestByeWhileRinging: a party that leaves (bye) while a call rings has not
// refused it. The callee's last device leaving ends the call unanswered:
// the caller gets no-answer, never refused, and the callee has a missed
// call. The caller leaving is its cancel: the callee is told cancelled and
// has a missed call.
func TestByeWhileRinging(t *testing.T) {
	for _, tc := range []struct {
		name       string
		calleeGoes bool
	}{
		{"the callee goes", true},
		{"the caller goes", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBoard(t, Config{})
			caller, callee := b.register(t, "+15551230001"), b.register(t, "+15551230002")
			caller.send(&wire.Message{Type: wire.TypeDial, To: callee.number})
			id := caller.out.expect(t, wire.TypeRinging).Call
			callee.out.expect(t, wire.TypeIncoming)
			if tc.calleeGoes {
				callee.send(&wire.Message{Type: wire.TypeBye})
				end := caller.out.next(t, func(m *wire.Message) bool { return m.Call == id })
				if end.Type != wire.TypeNoAnswer {
					t.Fatalf("the caller was told %s %q, want no-answer", end.Type, end.Reason)
				}
			} else {
				caller.send(&wire.Message{Type: wire.TypeBye})
				end := callee.out.next(t, func(m *wire.Message) bool { return m.Call == id })
				if end.Type != wire.TypeCancelled || end.Reason != wire.ReasonCancelled {
					t.Fatalf("the callee was told %s %q, want cancelled", end.Type, end.Reason)
				}
			}
			missed, err := b.store.PendingMissed(context.Background(), callee.number)
			if err != nil || len(missed) != 1 || missed[0].CallID != string(id) {
				t.Fatalf("missed calls: %+v %v", missed, err)
			}
		})
	}
}
