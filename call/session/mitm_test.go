package session_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// What a server in the middle does with the statements that come with the
// SDP it replaces.
type mitmMode int

const (
	mitmKeep   mitmMode = iota // passes the phones' statements on beside its own SDP
	mitmStrip                  // drops them
	mitmResign                 // signs its own fingerprints with its own key
)

// mitm is a server in the middle: a signalling proxy in front of a real
// server that, for every call, terminates DTLS itself on both sides (two
// pion PeerConnections of its own, one facing each phone), puts its own
// SDP in place of each phone's, and forwards the media between them. It is
// what a server that wanted to listen would do; the phones must notice.
type mitm struct {
	t      testing.TB
	target string
	mode   mitmMode
	key    ed25519.PrivateKey
	api    *webrtc.API
	ln     net.Listener
	srv    *http.Server

	mu    sync.Mutex
	calls map[wire.CallID]*mitmCall
	pcs   []*webrtc.PeerConnection
	wg    sync.WaitGroup
}

// mitmLeg is one phone's connection through the proxy.
type mitmLeg struct {
	number   string
	toPhone  *websocket.Conn
	toServer *websocket.Conn
}

func (l *mitmLeg) send(ws *websocket.Conn, m *wire.Message) {
	b, err := wire.Encode(m)
	if err == nil {
		_ = ws.Write(context.Background(), websocket.MessageText, b)
	}
}

// mitmCall is one call the proxy sits in.
type mitmCall struct {
	caller, callee *mitmLeg
	peerOf         map[*mitmLeg]string // the peer number each leg was told
	toCaller       *webrtc.PeerConnection
	toCallee       *webrtc.PeerConnection
	callerAnswer   webrtc.SessionDescription
	pendingCallee  []webrtc.ICECandidateInit
	pendingCaller  []webrtc.ICECandidateInit
	calleeRemote   bool
}

func newMITM(t testing.TB, target string, mode mitmMode) *mitm {
	t.Helper()
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetHostAcceptanceMinWait(0)
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mitm{t: t, target: target, mode: mode, key: servertest.NewKey(), ln: ln, calls: map[wire.CallID]*mitmCall{},
		api: webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se))}
	m.srv = &http.Server{Handler: http.HandlerFunc(m.serve)}
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.srv.Serve(ln) }()
	t.Cleanup(func() {
		m.srv.Close()
		m.mu.Lock()
		pcs := m.pcs
		m.mu.Unlock()
		for _, pc := range pcs {
			pc.Close()
		}
		m.wg.Wait()
	})
	return m
}

func (m *mitm) URL() string { return "ws://" + m.ln.Addr().String() + wire.Path }

func (m *mitm) serve(w http.ResponseWriter, r *http.Request) {
	phone, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{wire.Subprotocol}})
	if err != nil {
		return
	}
	phone.SetReadLimit(wire.MaxMessage)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	server, _, err := websocket.Dial(ctx, m.target, &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	if err != nil {
		phone.Close(websocket.StatusInternalError, "no server")
		return
	}
	server.SetReadLimit(wire.MaxMessage)
	leg := &mitmLeg{toPhone: phone, toServer: server}
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.pipe(ctx, leg, server, phone, m.fromServer)
		phone.CloseNow()
	}()
	m.pipe(ctx, leg, phone, server, m.fromPhone)
	server.CloseNow()
	<-done
}

// pipe copies messages from one end to the other, letting hook take some.
func (m *mitm) pipe(ctx context.Context, leg *mitmLeg, from, to *websocket.Conn, hook func(*mitmLeg, *wire.Message) bool) {
	for {
		_, b, err := from.Read(ctx)
		if err != nil {
			return
		}
		var msg wire.Message
		if json.Unmarshal(b, &msg) == nil && hook(leg, &msg) {
			continue
		}
		if err := to.Write(ctx, websocket.MessageText, b); err != nil {
			return
		}
	}
}

// fromServer notes who is in which call; everything passes.
func (m *mitm) fromServer(leg *mitmLeg, msg *wire.Message) bool {
	if msg.Type == wire.TypeAccepted {
		m.mu.Lock()
		c := m.call(msg.Call)
		c.peerOf[leg] = msg.Peer
		if msg.Offerer {
			c.caller = leg
		} else {
			c.callee = leg
		}
		m.mu.Unlock()
	}
	return false
}

func (m *mitm) call(id wire.CallID) *mitmCall {
	c := m.calls[id]
	if c == nil {
		c = &mitmCall{peerOf: map[*mitmLeg]string{}}
		m.calls[id] = c
	}
	return c
}

// fromPhone takes every SDP and candidate a phone sends, and answers with
// the proxy's own.
func (m *mitm) fromPhone(leg *mitmLeg, msg *wire.Message) bool {
	if msg.Type == wire.TypeHello {
		leg.number = msg.Number
	}
	if msg.Type != wire.TypeSDP && msg.Type != wire.TypeICE {
		return false
	}
	m.mu.Lock()
	c := m.calls[msg.Call]
	m.mu.Unlock()
	if c == nil {
		return false
	}
	if err := m.take(c, leg, msg); err != nil {
		m.t.Errorf("mitm: %v", err)
	}
	return true
}

func (m *mitm) take(c *mitmCall, leg *mitmLeg, msg *wire.Message) error {
	switch {
	case msg.Type == wire.TypeSDP && msg.SDPType == wire.SDPOffer:
		return m.onOffer(c, leg, msg)
	case msg.Type == wire.TypeSDP:
		return m.onAnswer(c, leg, msg)
	case msg.Candidate == nil || msg.Candidate.Candidate == "":
		return nil
	}
	ci := webrtc.ICECandidateInit{Candidate: msg.Candidate.Candidate, SDPMid: msg.Candidate.SDPMid, SDPMLineIndex: msg.Candidate.SDPMLineIndex}
	m.mu.Lock()
	defer m.mu.Unlock()
	if leg == c.caller {
		if c.toCaller == nil || c.toCaller.RemoteDescription() == nil {
			c.pendingCaller = append(c.pendingCaller, ci)
			return nil
		}
		return c.toCaller.AddICECandidate(ci)
	}
	if !c.calleeRemote {
		c.pendingCallee = append(c.pendingCallee, ci)
		return nil
	}
	return c.toCallee.AddICECandidate(ci)
}

// statement is what goes beside the proxy's SDP: the phone's own (keep),
// nothing (strip), or one the proxy signs for its own fingerprints.
func (m *mitm) statement(orig *wire.Message, id wire.CallID, caller, callee, role, sdp string) (*wire.Signed, []wire.Signed) {
	switch m.mode {
	case mitmKeep:
		return orig.Statement, orig.Chain
	case mitmStrip:
		return nil, nil
	}
	fps, err := identity.Fingerprints(sdp)
	if err != nil {
		m.t.Errorf("mitm: %v", err)
		return nil, nil
	}
	st := identity.Statement{Call: string(id), Caller: caller, Callee: callee, Role: role, Fingerprints: fps,
		Key: m.key.Public().(ed25519.PublicKey)}
	sig, err := identity.SignStatement(st, m.key)
	if err != nil {
		m.t.Errorf("mitm: %v", err)
	}
	return &wire.Signed{Body: st.Bytes(), Sig: sig}, nil
}

// onOffer answers the caller with the proxy's own description, and offers
// the callee another.
func (m *mitm) onOffer(c *mitmCall, caller *mitmLeg, msg *wire.Message) error {
	id := msg.Call
	toCaller, va, aa, err := m.newPC(func(cd wire.Candidate) {
		caller.send(caller.toPhone, &wire.Message{Type: wire.TypeICE, Call: id, Candidate: &cd})
	})
	if err != nil {
		return err
	}
	toCallee, vb, ab, err := m.newPC(func(cd wire.Candidate) {
		caller.send(caller.toServer, &wire.Message{Type: wire.TypeICE, Call: id, Candidate: &cd})
	})
	if err != nil {
		return err
	}
	m.mu.Lock()
	c.toCaller, c.toCallee = toCaller, toCallee
	m.mu.Unlock()
	if err := toCaller.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: msg.SDP}); err != nil {
		return err
	}
	m.mu.Lock()
	early := c.pendingCaller
	c.pendingCaller = nil
	m.mu.Unlock()
	for _, ci := range early {
		if err := toCaller.AddICECandidate(ci); err != nil {
			return err
		}
	}
	for _, tr := range []webrtc.TrackLocal{va, aa} {
		if _, err := toCaller.AddTrack(tr); err != nil {
			return err
		}
	}
	for _, tr := range []webrtc.TrackLocal{vb, ab} {
		if _, err := toCallee.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
			return err
		}
	}
	m.forward(toCaller, vb, toCallee)
	m.forward(toCallee, va, toCaller)
	ans, err := toCaller.CreateAnswer(nil)
	if err != nil {
		return err
	}
	if err := toCaller.SetLocalDescription(ans); err != nil {
		return err
	}
	offer, err := toCallee.CreateOffer(nil)
	if err != nil {
		return err
	}
	if err := toCallee.SetLocalDescription(offer); err != nil {
		return err
	}
	m.mu.Lock()
	c.callerAnswer = ans
	callee := c.peerOf[caller]
	m.mu.Unlock()
	st, chain := m.statement(msg, id, caller.number, callee, wire.SDPOffer, offer.SDP)
	caller.send(caller.toServer, &wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: offer.SDP, Statement: st, Chain: chain})
	return nil
}

// onAnswer takes the callee's answer and only now gives the caller the
// proxy's, so that a kept statement is the callee's.
func (m *mitm) onAnswer(c *mitmCall, callee *mitmLeg, msg *wire.Message) error {
	m.mu.Lock()
	toCallee, caller, ans, callerNum := c.toCallee, c.caller, c.callerAnswer, c.peerOf[callee]
	m.mu.Unlock()
	if toCallee == nil || caller == nil {
		return errors.New("an answer before the offer")
	}
	if err := toCallee.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: msg.SDP}); err != nil {
		return err
	}
	m.mu.Lock()
	c.calleeRemote = true
	pending := c.pendingCallee
	c.pendingCallee = nil
	m.mu.Unlock()
	for _, ci := range pending {
		if err := toCallee.AddICECandidate(ci); err != nil {
			return err
		}
	}
	st, chain := m.statement(msg, msg.Call, callerNum, callee.number, wire.SDPAnswer, ans.SDP)
	caller.send(caller.toPhone, &wire.Message{Type: wire.TypeSDP, Call: msg.Call, SDPType: wire.SDPAnswer, SDP: ans.SDP, Statement: st, Chain: chain})
	return nil
}

func (m *mitm) newPC(trickle func(wire.Candidate)) (*webrtc.PeerConnection, *webrtc.TrackLocalStaticRTP, *webrtc.TrackLocalStaticRTP, error) {
	pc, err := m.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, nil, nil, err
	}
	m.mu.Lock()
	m.pcs = append(m.pcs, pc)
	m.mu.Unlock()
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			j := c.ToJSON()
			trickle(wire.Candidate{Candidate: j.Candidate, SDPMid: j.SDPMid, SDPMLineIndex: j.SDPMLineIndex})
		}
	})
	v, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "mitm")
	if err != nil {
		return nil, nil, nil, err
	}
	a, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "mitm")
	if err != nil {
		return nil, nil, nil, err
	}
	return pc, v, a, nil
}

// forward copies what arrives on from's tracks to the other side's tracks
// (the video one is toVideo; the audio one the other track of to), and
// asks from's sender for a key frame whenever to's receiver asks for one.
func (m *mitm) forward(from *webrtc.PeerConnection, toVideo *webrtc.TrackLocalStaticRTP, to *webrtc.PeerConnection) {
	from.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		var dst webrtc.TrackLocal
		for _, s := range to.GetSenders() {
			t := s.Track()
			if t == nil || (t == webrtc.TrackLocal(toVideo)) != (tr.Kind() == webrtc.RTPCodecTypeVideo) {
				continue
			}
			dst = t
			if tr.Kind() == webrtc.RTPCodecTypeVideo {
				m.wg.Add(1)
				go func() {
					defer m.wg.Done()
					for {
						pkts, _, err := s.ReadRTCP()
						if err != nil {
							return
						}
						for _, p := range pkts {
							switch p.(type) {
							case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
								from.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
							}
						}
					}
				}()
			}
		}
		w, ok := dst.(*webrtc.TrackLocalStaticRTP)
		if !ok {
			return
		}
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if err := w.WriteRTP(p); err != nil {
				return
			}
		}
	})
}

// TestServerInTheMiddle puts a server that terminates DTLS itself between
// two phones with real media. Whatever it does with their statements, no
// call carries media as verified: kept statements do not match its
// fingerprints (both phones refuse), stripped ones leave the call marked
// unsigned (or refused, where the number signed before), and its own
// signature is a key change for pinned numbers and, for fresh ones, gives
// the two phones different safety codes.
func TestServerInTheMiddle(t *testing.T) {
	tests := []struct {
		name   string
		mode   mitmMode
		pinned bool
		want   call.TrustState
	}{
		{"kept statements", mitmKeep, false, call.TrustInvalid},
		{"stripped, fresh", mitmStrip, false, call.TrustUnsigned},
		{"stripped, pinned", mitmStrip, true, call.TrustInvalid},
		{"re-signed, fresh", mitmResign, false, call.TrustNew},
		{"re-signed, pinned", mitmResign, true, call.TrustKeyChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := servertest.New(t, servertest.Options{Media: wire.MediaAuto})
			mm := newMITM(t, srv.Addrs.URL, tt.mode)
			keyA, keyB := servertest.NewKey(), servertest.NewKey()
			ka, kb := newMemKeys(), newMemKeys()
			if tt.pinned {
				ka.Pin(bob, identity.Pin{Key: keyB.Public().(ed25519.PublicKey)})
				kb.Pin(alice, identity.Pin{Key: keyA.Public().(ed25519.PublicKey)})
			}
			a := newPhone(t, alice, opts{url: mm.URL(), factory: pionMedia, prep: trusted(keyA, ka, withDevices(t, 440))})
			b := newPhone(t, bob, opts{url: mm.URL(), factory: pionMedia, prep: trusted(keyB, kb, withDevices(t, 660))})
			id, err := a.Dial(t.Context(), bob)
			if err != nil {
				t.Fatal(err)
			}
			b.wait(t, call.EventIncoming, id)
			b.Accept(id)
			tb := trustOf(t, b, id) // the callee judges the offer first
			if tb.State != tt.want {
				t.Fatalf("bob: trust %+v, want %s", tb, tt.want)
			}
			if !tt.want.Carries() {
				e := b.wait(t, call.EventEnded, id)
				if e.Reason != session.ReasonNotVerified && e.Reason != session.ReasonKeyChanged {
					t.Fatalf("bob: ended %+v", e)
				}
				a.wait(t, call.EventEnded, id)
				for _, ph := range []*phone{a, b} {
					if k := ph.kinds(id); strings.Contains(k, "connected") {
						t.Errorf("%s: media connected through the middle: %s", ph.number, k)
					}
				}
				return
			}
			ta := trustOf(t, a, id)
			if ta.State != tt.want {
				t.Fatalf("alice: trust %+v, want %s", ta, tt.want)
			}
			// The middle carries the media, and neither phone calls it
			// verified; where both show a code, the codes differ.
			waitFrames(t, a, id, 5)
			waitFrames(t, b, id, 5)
			if ta.SafetyCode != "" && ta.SafetyCode == tb.SafetyCode {
				t.Errorf("both phones show safety code %q through the middle", ta.SafetyCode)
			}
			if tt.mode == mitmStrip && (ta.SafetyCode != "" || tb.SafetyCode != "") {
				t.Errorf("a safety code without a statement: %q %q", ta.SafetyCode, tb.SafetyCode)
			}
			a.Hangup(id)
			b.wait(t, call.EventEnded, id)
		})
	}
}
