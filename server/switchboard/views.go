package switchboard

import (
	"net/netip"
	"sort"
	"time"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/wire"
)

// Lease reports the number's leased address while it holds one. It and
// Peers and Live make the switchboard the relay's view of live calls.
func (sb *Switchboard) Lease(n string) (netip.AddrPort, bool) {
	l, ok := sb.cfg.Leases.Lookup(n)
	return l.Addr, ok
}

// Peers returns the leased addresses of the other parties of n's active calls.
func (sb *Switchboard) Peers(n string) []netip.AddrPort {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	l := sb.lines[number.Number(n)]
	if l == nil {
		return nil
	}
	var out []netip.AddrPort
	for _, cl := range l.calls {
		if cl.state != stateActive {
			continue
		}
		other := cl.callerLease
		if cl.caller == l.number {
			other = cl.calleeLease
		}
		out = append(out, other.Addr)
	}
	return out
}

// Live reports whether callID is an active call with n as a party.
func (sb *Switchboard) Live(callID, n string) bool {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	cl := sb.calls[wire.CallID(callID)]
	return cl != nil && cl.state == stateActive && (string(cl.caller) == n || string(cl.callee) == n)
}

// Resolution is what the number DNS needs to know about one number.
type Resolution struct {
	Registered bool
	Addr       netip.Addr // zero when the number holds no lease
	TTL        time.Duration
}

// Resolve answers for the number DNS from the live lease table.
func (sb *Switchboard) Resolve(n string) Resolution {
	if !sb.registered.has(number.Number(n)) {
		return Resolution{}
	}
	r := Resolution{Registered: true}
	if l, ok := sb.cfg.Leases.Lookup(n); ok {
		r.Addr = l.Addr.Addr()
		r.TTL = l.Expires.Sub(sb.cfg.Now())
	}
	return r
}

// CallView is one live call, for the admin API.
type CallView struct {
	ID          string    `json:"id"`
	Caller      string    `json:"caller"`
	Callee      string    `json:"callee"`
	State       string    `json:"state"`
	Start       time.Time `json:"start"`
	Answer      time.Time `json:"answer,omitzero"`
	CallerLease string    `json:"caller_lease,omitempty"`
	CalleeLease string    `json:"callee_lease,omitempty"`
	// CallerVia and CalleeVia name the network of a party the server
	// speaks for (ViaSIP); empty for a dialtone client or service.
	CallerVia string `json:"caller_via,omitempty"`
	CalleeVia string `json:"callee_via,omitempty"`
}

// Calls lists the live calls, oldest first.
func (sb *Switchboard) Calls() []CallView {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	out := make([]CallView, 0, len(sb.calls))
	for _, cl := range sb.calls {
		out = append(out, CallView{ID: string(cl.id), Caller: string(cl.caller), Callee: string(cl.callee),
			State: cl.state.String(), Start: cl.start, Answer: cl.answer,
			CallerLease: addrString(cl.callerLease.Addr), CalleeLease: addrString(cl.calleeLease.Addr),
			CallerVia: cl.from.via, CalleeVia: cl.calleeVia()})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Start.Before(out[j].Start) || out[i].Start.Equal(out[j].Start) && out[i].ID < out[j].ID
	})
	return out
}

// NumberView is one registered number, for the admin API.
type NumberView struct {
	Number  string `json:"number"`
	Online  bool   `json:"online"`
	Dropped bool   `json:"dropped,omitempty"` // connection lost, calls held for a resume
	Service string `json:"service,omitempty"`
	Calls   int    `json:"calls"`
	Devices int    `json:"devices,omitempty"` // sessions online or in grace
	Lease   string `json:"lease,omitempty"`
}

// Numbers lists every registered number and service.
func (sb *Switchboard) Numbers() []NumberView {
	sb.mu.Lock()
	out := make([]NumberView, 0, sb.registered.len())
	sb.registered.each(func(n number.Number) {
		v := NumberView{Number: string(n), Service: sb.services[n]}
		if l := sb.lines[n]; l != nil && len(l.devices) > 0 {
			v.Online, v.Dropped, v.Calls = true, !l.service, len(l.calls)
			for _, s := range l.devices {
				v.Devices++
				if s.conn != nil {
					v.Dropped = false
				}
			}
		}
		out = append(out, v)
	})
	sb.mu.Unlock()
	for i := range out {
		if l, ok := sb.cfg.Leases.Lookup(out[i].Number); ok {
			out[i].Lease = l.Addr.String()
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// Stats are the switchboard's counters and gauges.
type Stats struct {
	Registered, Online, Dropped, Ringing, Active                     int
	Registrations, AuthFailures, Dials, Accepted, Refused, Cancelled uint64
	NoAnswer, Unavailable, Busy, Hangups, PeerLost, NoCapacity       uint64
	Resumes, ResumesRefused                                          uint64
	// CandidatesDropped counts ICE candidates the relay policy kept from
	// the other party.
	CandidatesDropped uint64
	// DialLimited counts dials refused by the DialLimits.
	DialLimited uint64
	// HistoryBytes is what the resume histories hold, as their bounds
	// count it.
	HistoryBytes int
}

// Stats returns a snapshot of the counters.
func (sb *Switchboard) Stats() Stats {
	st := Stats{
		Registrations: sb.stats.registrations.Load(), AuthFailures: sb.stats.authFailures.Load(),
		Dials: sb.stats.dials.Load(), Accepted: sb.stats.accepted.Load(), Refused: sb.stats.refused.Load(),
		Cancelled: sb.stats.cancelled.Load(), NoAnswer: sb.stats.noAnswer.Load(), Unavailable: sb.stats.unavailable.Load(),
		Busy: sb.stats.busy.Load(), Hangups: sb.stats.hangups.Load(), PeerLost: sb.stats.peerLost.Load(),
		NoCapacity: sb.stats.noCapacity.Load(), Resumes: sb.stats.resumes.Load(),
		CandidatesDropped: sb.stats.candidatesDropped.Load(), DialLimited: sb.stats.dialLimited.Load(),
		ResumesRefused: sb.stats.resumesRefused.Load(),
	}
	sb.mu.Lock()
	defer sb.mu.Unlock()
	st.HistoryBytes = sb.hist.bytes
	st.Registered = sb.registered.len()
	for _, s := range sb.allSessions() {
		if s.service {
			continue
		}
		st.Online++
		if s.conn == nil {
			st.Dropped++
		}
	}
	for _, cl := range sb.calls {
		if cl.state == stateActive {
			st.Active++
		} else {
			st.Ringing++
		}
	}
	return st
}
