package switchboard

import (
	"net/netip"
	"strings"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/scrub"
)

// forward passes SDP, ICE and media-state to the other party of an active
// call, and to no one else. Under
// the relay policy it first scrubs them (server/scrub): only relay
// candidates on the sender's own lease go on, and SDP loses every other
// address, so that parties never learn where the other is. A candidate that
// does not pass is dropped without an answer — browsers offer host and
// server-reflexive candidates as a matter of course — while SDP that does
// not parse is refused.
func (sb *Switchboard) forward(c *Conn, m *wire.Message) {
	var (
		cl   *call
		from netip.Addr
		via  string
	)
	sb.locked(func(*effects) {
		cl = sb.partyCall(c, m)
		if cl == nil {
			return
		}
		if cl.state != stateActive {
			c.reply(m, wire.CodeWrongState, "media is negotiated once the call is accepted")
			cl = nil
			return
		}
		via = viaOf(c.sess)
		from = cl.calleeLease.Addr.Addr()
		if c.sess.number == cl.caller {
			from = cl.callerLease.Addr.Addr()
		}
	})
	if cl == nil {
		return
	}
	out := &wire.Message{Type: m.Type, Call: cl.id, SDPType: m.SDPType, SDP: m.SDP, Candidate: m.Candidate, Camera: m.Camera,
		Statement: m.Statement, Chain: m.Chain}
	if m.Type == wire.TypeSDP {
		out.Via = via
	}
	if sb.cfg.Media == wire.MediaRelay && m.Type != wire.TypeMediaState && !sb.scrub(c, m, out, from) {
		return
	}
	// The scrubbing ran outside the lock; the call may have ended meanwhile.
	sb.locked(func(*effects) {
		if sb.calls[cl.id] == cl && cl.state == stateActive {
			sb.send(cl.other(c.sess), out)
		}
	})
}

// scrub rewrites out's SDP or candidate for the relay policy; it reports
// whether anything is left to forward.
func (sb *Switchboard) scrub(c *Conn, m, out *wire.Message, lease netip.Addr) bool {
	if m.Type == wire.TypeSDP {
		s, err := scrub.SDP(m.SDP, lease)
		if err != nil {
			c.reply(m, wire.CodeBadMessage, "sdp: "+err.Error())
			return false
		}
		out.SDP = s
		return true
	}
	cand, err := scrub.Candidate(m.Candidate.Candidate, lease)
	if err != nil {
		sb.stats.candidatesDropped.Add(1)
		sb.log.Debug("candidate dropped", keyCall, m.Call, keyNumber, c.sess.number, "err", err)
		return false
	}
	cc := *m.Candidate
	cc.Candidate = cand
	out.Candidate = &cc
	return true
}

// relayURLs is what accepted offers of the relay's URLs. Under the relay
// policy that is the UDP ones only, when there are any: a browser allocates
// on every URL it is given, and only the first allocation gets the lease's
// port, so a second one (TURN over TCP) would send the call's media from
// another port of the lease. Under "auto", and when the relay has no UDP
// URL, every URL is offered.
func (sb *Switchboard) relayURLs(urls []string) []string {
	if sb.cfg.Media != wire.MediaRelay {
		return urls
	}
	var udp []string
	for _, u := range urls {
		if strings.HasPrefix(u, "turn:") && strings.HasSuffix(u, "?transport=udp") {
			udp = append(udp, u)
		}
	}
	if len(udp) == 0 {
		return urls
	}
	return udp
}

// viaOf is what sdp's via says of a sender: the kind of server party it
// is, or "" for a client.
func viaOf(s *session) string {
	switch {
	case s.via != "":
		return s.via
	case s.service:
		return wire.ViaService
	}
	return ""
}
