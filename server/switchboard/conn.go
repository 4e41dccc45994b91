package switchboard

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/store"
)

// Outbox is one connection's way out. Send must not block: a transport that
// cannot keep up closes the connection instead. Send reports whether the
// message was queued.
type Outbox interface {
	Send(m *wire.Message) bool
	Close(reason string)
}

// batchOutbox is an Outbox that can take several messages at once, in
// order, as one write.
type batchOutbox interface {
	SendAll(ms []*wire.Message) bool
}

// phase is where a connection is in registration.
type phase int

const (
	phaseNew phase = iota
	phaseChallenged
	phaseRegistered
	phaseGone
)

// Conn is one client connection. The transport creates it with Connect,
// feeds it every message with Handle, and ends it with Disconnect. Handle
// is called from one goroutine at a time.
type Conn struct {
	sb  *Switchboard
	out Outbox

	phase  atomic.Int32 // a phase; other connections' resumes and replacements end this one
	hello  helloFields
	nonce  []byte   // the challenge, until the proof answers it
	sess   *session // once registered; guarded by sb.mu after that
	remote string
	dev    admitted // the device that registered
}

// helloFields is what registration needs of the connection's hello. The
// connection keeps these, not the message: a connection lives as long as
// its client, and a whole Message for each of 18,000 idle clients was
// 13 MB that the collector scanned on every cycle. The strings are copied
// so that they do not hold the decoded message's bytes.
type helloFields struct {
	number string
	key    []byte
	resume string // the session token to resume, if any
	last   uint64 // the last message the resuming client has
	link   string // a link code joining this device to the number
	device string // the device's name
	invite string // an invite code for a new number
}

func helloOf(m *wire.Message) helloFields {
	return helloFields{number: strings.Clone(m.Number), key: m.Key, resume: strings.Clone(m.Resume), last: m.Last,
		link: strings.Clone(m.Link), device: strings.Clone(m.Device), invite: strings.Clone(m.Invite)}
}

// session is one registered device's presence: it outlives a dropped
// connection for the grace period, so calls survive a reconnect. A number
// has one session per device (its line).
type session struct {
	number    number.Number
	key       string // the device's public key
	name      string // the device's name
	ln        *line
	token     string
	out       Outbox // nil while dropped
	conn      *Conn
	calls     map[wire.CallID]*call
	sn        uint64   // the last sequence number sent
	outq      []queued // sent, waiting for their records to be committed
	history   ring     // the most recent messages delivered, for a resume
	histBytes int      // what history holds, as counted by size
	lostSN    uint64   // the newest message a bound dropped from history
	media     int      // SDP and ICE messages in history
	grace     timer
	service   bool
	via       string // a gateway's party (ViaSIP), outside sessions; "" for a client
	source    string // where the connection comes from (see DialLimits)

	inSection bool // in the running section's touched list
	// attached is true from attach until dropSession: while s is its
	// line's device session for its key (l.device(s.key) == s).
	attached bool
}

type timer interface{ Stop() bool }

func (s *session) line() *line {
	if s.ln == nil { // a gateway's party: outside the lines
		return &line{number: s.number, calls: s.calls}
	}
	return s.ln
}

func (s *session) sortedCalls() []*call {
	cs := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, byID)
	return cs
}

// Connect registers a new connection. remote names the peer for logs.
func (sb *Switchboard) Connect(out Outbox, remote string) *Conn {
	return &Conn{sb: sb, out: out, remote: remote}
}

// Handle acts on one decoded message from the connection.
func (c *Conn) Handle(ctx context.Context, m *wire.Message) {
	sb := c.sb
	if phase(c.phase.Load()) == phaseGone {
		return
	}
	if !wire.ClientTypes[m.Type] {
		c.reply(m, wire.CodeUnknownType, "a client may not send "+string(m.Type))
		return
	}
	switch m.Type {
	case wire.TypeHello:
		c.handleHello(m)
		return
	case wire.TypeProof:
		c.handleProof(ctx, m)
		return
	case wire.TypePing:
		c.out.Send(&wire.Message{Type: wire.TypePong, Re: m.Seq})
		return
	}
	if phase(c.phase.Load()) != phaseRegistered {
		c.reply(m, wire.CodeNotRegistered, "register first: hello, then proof")
		return
	}
	switch m.Type {
	case wire.TypeDial:
		sb.dial(c, m)
	case wire.TypeAccept:
		sb.accept(c, m)
	case wire.TypeRefuse:
		sb.refuse(c, m)
	case wire.TypeCancel:
		sb.cancel(c, m)
	case wire.TypeHangup:
		sb.hangup(c, m)
	case wire.TypeSDP, wire.TypeICE, wire.TypeMediaState:
		sb.forward(c, m)
	case wire.TypeMissedAck:
		sb.ackMissed(ctx, c, m)
	case wire.TypeLinkNew:
		sb.linkNew(ctx, c, m)
	case wire.TypeLinkCert:
		sb.linkCert(c, m)
	case wire.TypeListDevices:
		sb.listDevices(ctx, c, m)
	case wire.TypeUnlink:
		sb.unlink(ctx, c, m)
	case wire.TypeBye:
		sb.bye(c)
	}
}

// reply sends an error answering m.
func (c *Conn) reply(m *wire.Message, code wire.Code, msg string) {
	c.out.Send(wire.ErrorMessage(m, code, msg))
}

func (c *Conn) handleHello(m *wire.Message) {
	if phase(c.phase.Load()) != phaseNew {
		c.reply(m, wire.CodeWrongState, "hello once per connection")
		return
	}
	if _, err := c.sb.canonical(m.Number); err != nil || number.Number(m.Number).IsService() {
		c.reply(m, wire.CodeBadNumber, "register with an E.164 number such as +15551230001")
		return
	}
	c.nonce = make([]byte, wire.NonceSize)
	_, _ = rand.Read(c.nonce)
	c.hello = helloOf(m)
	c.phase.Store(int32(phaseChallenged))
	c.out.Send(&wire.Message{Type: wire.TypeChallenge, Re: m.Seq, Nonce: c.nonce, Server: c.sb.cfg.ServerName})
}

// handleProof checks the signature, binds or checks the number's key, and
// registers the connection.
func (c *Conn) handleProof(ctx context.Context, m *wire.Message) {
	sb := c.sb
	if phase(c.phase.Load()) != phaseChallenged {
		c.reply(m, wire.CodeWrongState, "proof answers a challenge; send hello first")
		return
	}
	h := &c.hello
	key := ed25519.PublicKey(h.key)
	proof := wire.ProofMessage(h.number, c.nonce)
	c.nonce = nil // answered, right or wrong: a second proof is refused by phase
	if !ed25519.Verify(key, proof, m.Sig) {
		sb.stats.authFailures.Add(1)
		c.fail(m, wire.CodeAuthFailed, "the signature does not verify")
		return
	}
	dev, code, msg := sb.admit(ctx, c, key)
	if code != "" {
		if code == wire.CodeAuthFailed || code == wire.CodeUnlinked {
			sb.stats.authFailures.Add(1)
		}
		c.fail(m, code, msg)
		return
	}
	c.dev = dev
	if err := sb.flushRecords(ctx); err != nil {
		c.fail(m, wire.CodeInternal, "try again")
		return
	}
	missed, err := sb.cfg.Store.PendingMissedFor(ctx, h.number, key)
	if err != nil {
		sb.log.Error("reading missed calls", keyNumber, h.number, "err", err)
	}
	sb.register(c, m, missed)
}

// fail answers m with an error and closes the connection: registration
// failures leave nothing to talk about.
func (c *Conn) fail(m *wire.Message, code wire.Code, msg string) {
	c.reply(m, code, msg)
	c.phase.Store(int32(phaseGone))
	c.out.Close(string(code))
}

// bindKey checks key against the number's bound key, binding it first if the
// number is new and policy allows. It returns an error code and message, or
// "" when the key may use the number.
func (sb *Switchboard) bindKey(ctx context.Context, n number.Number, key ed25519.PublicKey, invite, device string) (wire.Code, string) {
	_, err := sb.cfg.Store.Subscriber(ctx, string(n))
	switch {
	case err == nil:
		return wire.CodeAuthFailed, "this number is bound to other keys"
	case !errors.Is(err, store.ErrNotFound):
		sb.log.Error("looking up subscriber", keyNumber, n, "err", err)
		return wire.CodeInternal, "the server could not check the number; try again"
	}
	sub := store.Subscriber{Number: string(n), Key: key, RegisteredAt: sb.cfg.Now(), Device: device}
	if sb.cfg.Registration == RegistrationInvite {
		if invite == "" {
			return wire.CodeInviteRequired, "this server registers new numbers by invitation; ask the operator for a code"
		}
		if err := sb.cfg.Store.RedeemInvite(ctx, string(n), invite, sub); err != nil {
			if errors.Is(err, store.ErrInviteInvalid) {
				return wire.CodeInviteInvalid, "the invite code is not valid for this number"
			}
			sb.log.Error("redeeming invite", keyNumber, n, "err", err)
			return wire.CodeInternal, "the server could not check the invite; try again"
		}
	} else if err := sb.cfg.Store.AddSubscriber(ctx, sub); err != nil {
		if errors.Is(err, store.ErrExists) {
			// Someone bound it between our look-up and now.
			return wire.CodeAuthFailed, "this number is bound to other keys"
		}
		sb.log.Error("adding subscriber", keyNumber, n, "err", err)
		return wire.CodeInternal, "the server could not register the number; try again"
	}
	sb.registered.add(n)
	sb.log.Info("number bound", keyNumber, n)
	return "", ""
}

// register makes c the number's connection: a resume takes over the
// session it names; otherwise a new session replaces any old one.
func (sb *Switchboard) register(c *Conn, m *wire.Message, missed []store.MissedCall) {
	n := number.Number(c.hello.number)
	sb.locked(func(fx *effects) {
		if sb.closed {
			c.out.Send(wire.ErrorMessage(m, wire.CodeShutdown, "the server is shutting down"))
			return
		}
		reply := &wire.Message{Type: wire.TypeRegistered, Re: m.Seq, Number: string(n),
			Services: sb.serviceList(), Media: sb.cfg.Media,
			GraceS: seconds(sb.cfg.Grace), RingS: seconds(sb.cfg.RingTimeout), KeepaliveS: seconds(sb.cfg.Keepalive)}
		for _, mc := range missed {
			reply.Missed = append(reply.Missed, wire.Missed{ID: mc.ID, From: mc.From, At: mc.At, Call: wire.CallID(mc.CallID)})
		}
		reply.Device, reply.Chain = c.dev.name, c.dev.chain
		// An unlink that races this registration is caught by the next
		// pass over the removals (pollRemovals).
		key := string(c.hello.key)
		ln := sb.lineOf(n)
		old := ln.device(key)
		if old != nil && c.hello.resume != "" && old.token == c.hello.resume {
			if c.hello.last >= old.lostSN {
				sb.resume(c, old, reply)
				return
			}
			// Something after the client's last was dropped by a bound:
			// a resume would hide it. Register afresh instead.
			sb.stats.resumesRefused.Add(1)
			sb.log.Info("resume refused: the history no longer covers it", keyNumber, n,
				"last", c.hello.last, "lost", old.lostSN)
		}
		if old != nil {
			sb.replace(old, fx)
			// Dropping the old session drops the line too when it was
			// the number's only device: the new session needs the live one.
			ln = sb.lineOf(n)
		}
		s := &session{number: n, key: key, name: c.dev.name, ln: ln, token: randomToken(24)}
		sb.attach(c, s)
		sb.stats.registrations.Add(1)
		reply.Session = s.token
		c.out.Send(reply)
		sb.ringNewDevice(s)
		// Last seen is kept to the minute: a reconnecting client costs no
		// write, and a new device was stamped when it was stored.
		if at := sb.cfg.Now(); at.Sub(c.dev.lastSeen) >= time.Minute {
			pub := ed25519.PublicKey(c.hello.key)
			fx.record(sb, func(ctx context.Context) error { return sb.cfg.Store.TouchDevice(ctx, string(n), pub, at) }, "device seen")
		}
	})
}

func (sb *Switchboard) attach(c *Conn, s *session) {
	s.out, s.conn = c.out, c
	s.source = sourceKey(c.remote)
	c.sess = s
	c.phase.Store(int32(phaseRegistered))
	if s.ln == nil {
		s.ln = sb.lineOf(s.number)
	}
	s.ln.setDevice(s)
	s.attached = true
	sb.tokens[s.token] = s
}

// resume hands a live session to a new connection and delivers what was
// queued while the client was away.
func (sb *Switchboard) resume(c *Conn, s *session, reply *wire.Message) {
	if s.grace != nil {
		s.grace.Stop()
		s.grace = nil
	}
	if s.conn != nil && s.conn != c {
		s.conn.phase.Store(int32(phaseGone))
		s.out.Close("resumed elsewhere")
	}
	sb.attach(c, s)
	sb.stats.resumes.Add(1)
	reply.Session, reply.Resumed = s.token, true
	for _, cl := range s.sortedCalls() {
		reply.Calls = append(reply.Calls, cl.info(s.number))
	}
	c.out.Send(reply)
	for i := range s.history.len() {
		if q := s.history.at(i); q.m != nil && q.sn > c.hello.last {
			c.out.Send(q.m)
		}
	}
	sb.log.Info("session resumed", keyNumber, s.number, "calls", len(s.calls))
}

// replacedWords is the message of the errors a replaced session gets.
const replacedWords = "this device connected again elsewhere; this connection was replaced"

// replace ends an old session when its number registers afresh: the calls
// it held cannot continue without their media state.
func (sb *Switchboard) replace(old *session, fx *effects) {
	for _, cl := range old.sortedCalls() {
		sb.leave(cl, old, wire.ReasonPeerLost, nil, fx)
	}
	if old.grace != nil {
		old.grace.Stop()
	}
	if old.conn != nil {
		old.conn.phase.Store(int32(phaseGone))
		// auth-failed after replaced is for clients that predate replaced:
		// they stop on it (and older TUIs recognise its words), where an
		// unknown code alone would have them reconnect and push the new
		// connection off in turn.
		old.out.Send(&wire.Message{Type: wire.TypeError, Code: wire.CodeReplaced, Message: replacedWords})
		old.out.Send(&wire.Message{Type: wire.TypeError, Code: wire.CodeAuthFailed, Message: "this number registered on another connection"})
		old.out.Close("replaced")
	}
	sb.dropSession(old)
}

func (sb *Switchboard) dropSession(s *session) {
	s.attached = false
	if l := sb.lines[s.number]; l != nil && l.device(s.key) == s {
		l.removeDevice(s.key)
		if len(l.devices) == 0 && len(l.calls) == 0 {
			delete(sb.lines, s.number)
		}
	}
	delete(sb.tokens, s.token)
	sb.forget(s)
}

// Disconnect tells the switchboard the connection is gone. A registered
// client's calls wait out the grace period for it to resume.
func (c *Conn) Disconnect() {
	sb := c.sb
	sb.locked(func(fx *effects) {
		s := c.sess
		c.phase.Store(int32(phaseGone))
		if s == nil || s.conn != c {
			return
		}
		if s.via != "" {
			sb.dropParty(s, fx)
			s.out, s.conn = nil, nil
			return
		}
		s.out, s.conn = nil, nil
		if len(s.calls) == 0 {
			sb.dropSession(s)
			return
		}
		sb.log.Info("client dropped; holding its calls", keyNumber, s.number, "grace", sb.cfg.Grace)
		s.grace = time.AfterFunc(sb.cfg.Grace, func() { sb.graceOver(s) })
	})
}

// graceOver ends a dropped session's calls.
func (sb *Switchboard) graceOver(s *session) {
	sb.locked(func(fx *effects) {
		if s.conn != nil || !sb.current(s) {
			return // resumed or replaced meanwhile
		}
		sb.log.Info("client did not come back", keyNumber, s.number)
		for _, cl := range s.sortedCalls() {
			sb.leave(cl, s, wire.ReasonPeerLost, s, fx)
		}
		sb.dropSession(s)
	})
}

// bye ends the client's calls now and forgets the session.
func (sb *Switchboard) bye(c *Conn) {
	sb.locked(func(fx *effects) {
		s := c.sess
		for _, cl := range s.sortedCalls() {
			sb.leave(cl, s, byeReason(cl, s), s, fx)
		}
		sb.dropSession(s)
		c.phase.Store(int32(phaseGone))
		s.conn, s.out = nil, nil
		c.out.Close("bye")
	})
}

// byeReason is how leaving ends cl for s. An answered call is hung up. A
// ringing one was not refused: the caller leaving is its cancel, and the
// callee leaving ends it unanswered (the caller hears no-answer, as when
// the callee vanishes while it rings); either way it is the callee's
// missed call. A callee with other devices still ringing only stops
// ringing on this one (leave).
func byeReason(cl *call, s *session) string {
	switch {
	case cl.state != stateRinging:
		return wire.ReasonHangup
	case s == cl.from:
		return wire.ReasonCancelled
	}
	return wire.ReasonNoAnswer
}

func (sb *Switchboard) ackMissed(ctx context.Context, c *Conn, m *wire.Message) {
	if err := sb.cfg.Store.AckMissedFor(ctx, string(c.sess.number), c.hello.key, m.ID); err != nil {
		sb.log.Error("acknowledging missed calls", keyNumber, c.sess.number, "err", err)
		c.reply(m, wire.CodeInternal, "could not record the acknowledgement")
	}
}

func (sb *Switchboard) serviceList() []wire.Service {
	var out []wire.Service
	for code, name := range sb.services {
		out = append(out, wire.Service{Code: string(code), Name: name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func seconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }

// Registered reports whether the connection has completed registration.
func (c *Conn) Registered() bool { return phase(c.phase.Load()) == phaseRegistered }
