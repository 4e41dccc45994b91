package sipgw

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/lease"
	"github.com/dialtone/dialtone/server/switchboard"
)

// maxEvents bounds what waits for one call: its signalling, pion's
// callbacks and the SIP side's requests.
const maxEvents = 256

// renewEvery is how often a call renews its lease: the switchboard renews
// the leases of answered calls only, and a call may ring as long as a
// lease lives unrenewed (30 s by default).
const renewEvery = 5 * time.Second

// byeTimeout bounds a BYE or CANCEL the gateway sends as a call ends.
const byeTimeout = 5 * time.Second

type eventKind int

const (
	evMessage   eventKind = iota // msg from the switchboard
	evCandidate                  // cand gathered on the lease
	evState                      // state of the PeerConnection
	evCancel                     // the phone cancelled its INVITE
	evBye                        // the phone hung up
	evKeyFrame                   // the phone asked for a key frame (SIP INFO)
	evAnswer                     // the phone answered our INVITE: err nil for 2xx
	evRinging                    // the phone rings (180/183 to our INVITE)
	evReinvite                   // the phone changes the session (hold)
	evTone                       // the phone sent a key by SIP INFO (digit, ms)
	evKeyOut                     // a key of the dialtone party's for the phone by SIP INFO (digit, ms)
	evAck                        // the ACK of a re-INVITE the gateway offered in came (ackWait)
)

type event struct {
	kind   eventKind
	msg    *wire.Message
	cand   *webrtc.ICECandidate
	state  webrtc.PeerConnectionState
	err    error
	req    *sip.Request // evReinvite
	tx     sip.ServerTransaction
	fork   int    // evAnswer: which INVITE
	callID string // evBye: which dialog
	digit  byte   // evTone
	ms     int
}

// sipCall is one call between a SIP phone and a dialtone party, both
// directions. Its goroutine owns the dialog, the switchboard connection
// and the bridge; callbacks only queue events for it.
type sipCall struct {
	g       *Gateway
	inbound bool   // the phone called
	via     string // switchboard.ViaSIP, or ViaTrunk for a trunk's party
	trunk   *Route // outbound to a trunk
	number  string // the phone's number
	sipID   string // the SIP Call-ID
	log     *slog.Logger
	events  chan event

	conn     *switchboard.Conn
	handleMu sync.Mutex
	id       wire.CallID

	lease       lease.Lease
	leased      bool
	br          *bridge
	sessID      uint64
	version     uint64     // of the gateway's SDP, one more for each
	answered    bool       // media agreed on both sides
	sdes        *sdesOffer // the keys offered to TLS devices, outbound
	pending     []webrtc.ICECandidateInit
	keysRefused bool // the phone refused a key's INFO: no more are sent
	// current is the gateway's SDP as last sent to the phone, which a
	// re-INVITE without SDP gets as an offer.
	current []byte
	ackWait atomic.Pointer[ackWait] // the answer in an ACK, awaited (delayed.go)

	srv   *sipgo.DialogServerSession // inbound
	cli   *sipgo.DialogClientSession // outbound: the device that answered
	forks []*fork                    // outbound: the INVITE to each device
	ids   []string                   // the Call-IDs in the call table
	wg    sync.WaitGroup             // the INVITEs' waiters, outbound
}

func (g *Gateway) newCall(inbound bool, num, sipID string) *sipCall {
	return &sipCall{
		g: g, inbound: inbound, number: num, sipID: sipID,
		log:    g.cfg.Logger.With("number", num, "sip.call_id", sipID),
		events: make(chan event, maxEvents),
		sessID: rand.Uint64N(1 << 62),
		via:    switchboard.ViaSIP,
	}
}

func (c *sipCall) nextVersion() uint64 {
	c.version++
	return c.version
}

func (c *sipCall) push(ev event) {
	select {
	case c.events <- ev:
	default:
		c.log.Warn("SIP call events full; dropping one", "kind", ev.kind)
	}
}

// partyOut is the call's side of the switchboard; Send runs under its lock.
type partyOut struct{ c *sipCall }

func (o partyOut) Send(m *wire.Message) bool {
	o.c.push(event{kind: evMessage, msg: m})
	return true
}

func (o partyOut) Close(string) {}

// Via tells the switchboard what kind of party this is.
func (o partyOut) Via() string { return o.c.via }

func (c *sipCall) handle(m *wire.Message) {
	m.V = wire.Version
	if m.Call == "" && m.Type != wire.TypeDial {
		m.Call = c.id
	}
	c.handleMu.Lock()
	defer c.handleMu.Unlock()
	c.conn.Handle(context.Background(), m)
}

// leaseMedia leases the phone's address and binds the bridge on it.
func (c *sipCall) leaseMedia() error {
	l, err := c.g.cfg.Leases.Acquire(c.number)
	if err != nil {
		return err
	}
	c.lease, c.leased = l, true
	br, err := newBridge(l.Addr, c.log, &c.g.stats,
		func(cand *webrtc.ICECandidate) {
			if cand != nil {
				c.push(event{kind: evCandidate, cand: cand})
			}
		},
		func(s webrtc.PeerConnectionState) { c.push(event{kind: evState, state: s}) })
	if err != nil {
		return err
	}
	br.opus = c.g.cfg.Opus
	br.keyOut = func(d byte, ms int) { c.push(event{kind: evKeyOut, digit: d, ms: ms}) }
	c.br = br
	if br.addr() != l.Addr {
		c.g.calls.alias(l.Addr, br.addr())
	}
	c.log.Debug("SIP party leased", "lease.addr", l.Addr)
	return nil
}

func (c *sipCall) renewLease() {
	if _, err := c.g.cfg.Leases.Renew(c.number); err != nil {
		c.log.Warn("renewing the SIP party's lease", "err", err)
	}
}

// finish closes what the call holds: the bridge, the switchboard
// connection (which ends its call if still up) and the lease.
func (c *sipCall) finish() {
	if c.answered {
		c.g.calls.unbridge()
	}
	if c.br != nil {
		c.g.calls.unalias(c.br.addr())
		c.br.close()
		c.logMedia()
	}
	if c.conn != nil {
		c.handleMu.Lock()
		c.conn.Disconnect()
		c.handleMu.Unlock()
	}
	c.wg.Wait()
	if c.leased {
		c.g.cfg.Leases.Release(c.number)
	}
	c.g.calls.remove(c)
}

func (c *sipCall) bridged() {
	if !c.answered {
		c.answered = true
		c.g.stats.answered.Add(1)
		c.g.calls.bridge()
	}
}

// onCandidate sends a gathered candidate to the dialtone party.
func (c *sipCall) onCandidate(cand *webrtc.ICECandidate) {
	j := candidate(cand)
	c.handle(&wire.Message{Type: wire.TypeICE, Call: c.id, Candidate: &wire.Candidate{
		Candidate: j.Candidate, SDPMid: j.SDPMid, SDPMLineIndex: j.SDPMLineIndex, UsernameFragment: j.UsernameFragment,
	}})
}

// addCandidate applies the dialtone party's candidate, or keeps it until
// its description is applied.
func (c *sipCall) addCandidate(wc *wire.Candidate) {
	if wc == nil || c.br == nil {
		return
	}
	init := webrtc.ICECandidateInit{Candidate: wc.Candidate, SDPMid: wc.SDPMid, SDPMLineIndex: wc.SDPMLineIndex, UsernameFragment: wc.UsernameFragment}
	if c.br.pc.RemoteDescription() == nil {
		if len(c.pending) < 64 {
			c.pending = append(c.pending, init)
		}
		return
	}
	if err := c.br.pc.AddICECandidate(init); err != nil {
		c.log.Debug("ignoring a candidate", "err", err)
	}
}

func (c *sipCall) flushCandidates() {
	for _, init := range c.pending {
		if err := c.br.pc.AddICECandidate(init); err != nil {
			c.log.Debug("ignoring a candidate", "err", err)
		}
	}
	c.pending = nil
}

// offerWebRTC makes the gateway's offer to the dialtone party (the phone
// called, so the gateway offers).
func (c *sipCall) offerWebRTC() error {
	if err := c.br.addTracks(); err != nil {
		return err
	}
	o, err := c.br.pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	if err := c.br.pc.SetLocalDescription(o); err != nil {
		return err
	}
	c.handle(&wire.Message{Type: wire.TypeSDP, Call: c.id, SDPType: wire.SDPOffer, SDP: o.SDP})
	return nil
}

// onSDP applies the dialtone party's description, answering an offer.
func (c *sipCall) onSDP(m *wire.Message) error {
	if c.br == nil {
		return errClosing
	}
	if m.SDPType == wire.SDPAnswer {
		if err := c.br.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP}); err != nil {
			return err
		}
		c.flushCandidates()
		return nil
	}
	a, err := c.br.answer(m.SDP)
	if err != nil {
		return err
	}
	c.handle(&wire.Message{Type: wire.TypeSDP, Call: c.id, SDPType: wire.SDPAnswer, SDP: a})
	c.flushCandidates()
	return nil
}

// callTable is the gateway's live calls by SIP Call-ID, for the requests
// inside a dialog (BYE, INFO) and for Close.
type callTable struct {
	mu      sync.Mutex
	m       map[string]*sipCall
	live    int                               // bridged
	aliases map[netip.AddrPort]netip.AddrPort // a second call's bridge address: its lease
}

// alias files a bridge bound beside its lease (a second call of the
// number's) for Aliases.
func (t *callTable) alias(lease, bound netip.AddrPort) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.aliases == nil {
		t.aliases = make(map[netip.AddrPort]netip.AddrPort)
	}
	t.aliases[bound] = lease
}

func (t *callTable) unalias(bound netip.AddrPort) {
	t.mu.Lock()
	delete(t.aliases, bound)
	t.mu.Unlock()
}

// Aliases returns the addresses bridges are bound on beside those of
// leases: a SIP party's media in its number's second call at once. The
// relay takes them as those leases' (it does the same for its own second
// allocations), so the dialtone party's relay passes that call's media.
func (g *Gateway) Aliases(leases []netip.AddrPort) []netip.AddrPort {
	t := &g.calls
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []netip.AddrPort
	for bound, l := range t.aliases {
		if slices.Contains(leases, l) {
			out = append(out, bound)
		}
	}
	return out
}

func (t *callTable) add(c *sipCall) bool { return t.addID(c.sipID, c) }

// addID files c under a SIP Call-ID, one of its own.
func (t *callTable) addID(id string, c *sipCall) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[string]*sipCall)
	}
	if t.m[id] != nil {
		return false
	}
	t.m[id] = c
	c.ids = append(c.ids, id)
	return true
}

func (t *callTable) remove(c *sipCall) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range c.ids {
		if t.m[id] == c {
			delete(t.m, id)
		}
	}
}

func (t *callTable) get(id string) *sipCall {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[id]
}

func (t *callTable) bridge()   { t.mu.Lock(); t.live++; t.mu.Unlock() }
func (t *callTable) unbridge() { t.mu.Lock(); t.live--; t.mu.Unlock() }
func (t *callTable) bridged() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.live
}

// onAck confirms an answered inbound call.
func (g *Gateway) onAck(req *sip.Request, tx sip.ServerTransaction) {
	// Before the dialog is confirmed, which ends the wait for the ACK:
	// the body is the answer to an offer in a 200.
	if c := g.calls.get(req.CallID().Value()); c != nil {
		c.takeAck(req)
	}
	if err := g.dialogs.ReadAck(req, tx); err != nil {
		g.cfg.Logger.Debug("ACK outside a dialog", "err", err)
	}
}

// onBye ends the call the BYE names.
func (g *Gateway) onBye(req *sip.Request, tx sip.ServerTransaction) {
	err := g.dialogs.ReadBye(req, tx)
	if err != nil {
		err = g.clientDialogs.ReadBye(req, tx)
	}
	if err != nil {
		g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call Does Not Exist", nil))
		return
	}
	if c := g.calls.get(req.CallID().Value()); c != nil {
		c.push(event{kind: evBye, callID: req.CallID().Value()})
	}
}

// onInfo takes a phone's picture_fast_update (RFC 5168's XML, as desk
// phones send it) as a key-frame request.
func (g *Gateway) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := g.calls.get(req.CallID().Value())
	if c == nil {
		g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call Does Not Exist", nil))
		return
	}
	if strings.Contains(string(req.Body()), "picture_fast_update") {
		c.push(event{kind: evKeyFrame})
	} else if d, ms, ok := infoTone(req); ok {
		c.push(event{kind: evTone, digit: d, ms: ms})
	}
	g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
}

// contactURI is the gateway's address for Contact headers: the UDP
// listener's, or the TCP one's.
func (g *Gateway) contactURI(pc net.PacketConn, ln net.Listener) sip.Uri {
	var a net.Addr
	switch {
	case pc != nil:
		a = pc.LocalAddr()
	case ln != nil:
		a = ln.Addr()
	}
	u := sip.Uri{Scheme: "sip", Host: g.cfg.Hostname}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		if !ap.Addr().IsUnspecified() {
			u.Host = ap.Addr().Unmap().String()
		}
		u.Port = int(ap.Port())
	}
	return u
}

func (g *Gateway) host() string {
	if g.contact.Port != 0 {
		return g.contact.HostPort()
	}
	return g.contact.Host
}

// inDialog answers a request inside one of the gateway's dialogs (a
// re-INVITE) and reports whether it was one. Its To tag is the gateway's
// own, which only the phone it was given to knows.
func (g *Gateway) inDialog(req *sip.Request, tx sip.ServerTransaction) bool {
	tag, ok := req.To().Params.Get("tag")
	if !ok || tag == "" {
		return false
	}
	c := g.calls.get(req.CallID().Value())
	if c == nil || c.localTag() != tag {
		g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call Does Not Exist", nil))
		return true
	}
	c.push(event{kind: evReinvite, req: req, tx: tx})
	return true
}

func (c *sipCall) localTag() string {
	var tag string
	switch {
	case c.srv != nil:
		tag, _ = c.srv.InviteRequest.To().Params.Get("tag")
	case c.cli != nil:
		tag, _ = c.cli.InviteRequest.From().Params.Get("tag")
	}
	return tag
}

// reinvite answers the phone's new offer from the same lease.
func (c *sipCall) reinvite(req *sip.Request, tx sip.ServerTransaction) {
	if len(req.Body()) == 0 && c.br != nil && c.answered && c.current != nil {
		c.reofferCurrent(req, tx)
		return
	}
	o, err := c.g.parseSDP(req.Body())
	if err != nil || c.br == nil || !c.answered || c.br.reofferSDES(o) != nil {
		c.g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusNotAcceptableHere, "Not Acceptable Here", nil))
		return
	}
	c.br.update(o)
	c.br.keepAgreed(o)
	c.log.Info("SIP phone changed the session", "audio_held", o.audio == nil || !o.audio.recv)
	c.current = withSDES(localSDP(c.br.addr(), c.sessID, c.nextVersion(), o), answerLines(o))
	c.g.respond(tx, sip.NewSDPResponseFromRequest(req, c.current))
}

// logMedia logs what RTCP told of the call's media: the loss and jitter
// of the phone's streams, and the loss and round-trip time the phone
// reported of the gateway's.
func (c *sipCall) logMedia() {
	for _, s := range c.br.legStats() {
		c.log.Info("SIP call media", "kind", s.Kind, "lost", s.Lost, "jitter", s.Jitter,
			"phone.lost", s.PhoneLost, "phone.fraction_lost", s.PhoneFractionLost, "rtt", s.RTT)
	}
}
