package switchboard

import (
	"fmt"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/wire"
)

// Gateway reaches numbers whose devices are on another network: the SIP
// gateway (server/sipgw) for SIP phones registered to our numbers.
type Gateway interface {
	// Reaches reports whether the gateway has devices for n. It runs
	// under the switchboard's lock and must not block.
	Reaches(n string) bool
	// Reach is asked, under the switchboard's lock, when a call from caller
	// goes to n and n has no dialtone session. It returns the outbox of a
	// new party speaking for n in that one call, conn being how the party
	// answers, or nil when the gateway cannot reach n. It must not block.
	Reach(n, caller string, conn *Conn) Outbox
}

// Router is a Gateway that also routes numbers the server does not hold
// (SIP trunks). Routes is asked, under the switchboard's lock, for a
// number with no session that never registered; Reach then gets the call.
type Router interface {
	Routes(n string) bool
}

// Party kinds, as the admin API shows them.
const (
	ViaSIP   = wire.ViaSIP
	ViaTrunk = wire.ViaTrunk // a foreign number's party, through a SIP trunk
)

// SetGateway makes g the gateway asked for numbers without a dialtone
// session. The gateway is built after the switchboard, which it dials
// through, so it comes in here rather than in Config.
func (sb *Switchboard) SetGateway(g Gateway) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	sb.gw = g
}

// AttachParty connects a server-side party speaking for number n, whose
// device the caller (the SIP gateway) has authenticated itself. Unlike a
// client's session it stands beside the number's own: a dialtone client of
// n keeps its session and calls, and the party's calls are its own. It
// lasts until Disconnect, which ends its calls at once (there is nothing to
// resume). via names the network for the admin API (ViaSIP).
func (sb *Switchboard) AttachParty(n, via string, out Outbox, remote string) (*Conn, error) {
	num, err := number.Canonical(n)
	if err != nil || num.IsService() {
		return nil, fmt.Errorf("party number %q: want an E.164 number", n)
	}
	c := sb.Connect(out, remote)
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.closed {
		return nil, errClosed
	}
	sb.attachParty(c, num, via)
	return c, nil
}

func (sb *Switchboard) attachParty(c *Conn, n number.Number, via string) *session {
	s := &session{number: n, via: via, name: "SIP phone"}
	s.out, s.conn = c.out, c
	s.source = sourceKey(c.remote)
	c.hello = helloFields{number: string(n)}
	c.sess = s
	c.phase.Store(int32(phaseRegistered))
	// A number with SIP devices only is ours as much as one with a key:
	// DNS answers its lease and a dial to it while it is away is offline.
	// A trunk's party is a foreign number's and stays routed.
	if via != ViaTrunk {
		sb.registered.add(n)
	}
	return s
}

func (sb *Switchboard) reaches(to number.Number) bool {
	return sb.gw != nil && !sb.closed && sb.gw.Reaches(string(to))
}

// reach asks the gateway for a party for to in a call from caller; nil
// when there is no gateway or it cannot reach to.
func (sb *Switchboard) reach(to number.Number, caller *session) *session {
	if sb.gw == nil || sb.closed {
		return nil
	}
	c := &Conn{sb: sb, remote: "gateway"}
	out := sb.gw.Reach(string(to), string(caller.number), c)
	if out == nil {
		return nil
	}
	c.out = out
	via := ViaSIP
	if v, ok := out.(interface{ Via() string }); ok {
		via = v.Via()
	}
	return sb.attachParty(c, to, via)
}

// routes reports whether a number the server does not hold goes to a
// trunk.
func (sb *Switchboard) routes(to number.Number) bool {
	r, ok := sb.gw.(Router)
	return ok && !sb.closed && !sb.registered.has(to) && r.Routes(string(to))
}

// dropParty ends a party's calls as hung up and forgets it; where it is
// one of several devices ringing, only its ringing stops.
func (sb *Switchboard) dropParty(s *session, fx *effects) {
	for _, cl := range s.sortedCalls() {
		if cl.state == stateRinging && cl.from != s && cl.alertedOn(s) && len(cl.alerted) > 1 {
			cl.unalert(s)
			continue
		}
		reason := wire.ReasonHangup
		if cl.state == stateRinging {
			reason = wire.ReasonCancelled
			if cl.from != s {
				reason = wire.ReasonRefused
			}
		}
		sb.endCall(cl, reason, s, fx)
	}
	sb.forget(s)
}
