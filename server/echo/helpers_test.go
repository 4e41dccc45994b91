package echo

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server"
	"github.com/dialtone/dialtone/server/servertest"
	"github.com/dialtone/dialtone/server/switchboard"
)

// wait bounds every wait for an event; it is a ceiling for a broken echo,
// not a pacing sleep.
const wait = 10 * time.Second

// start runs a test server whose echo test is built from cfg.
func start(t testing.TB, cfg Config) (*servertest.Server, *Echo) {
	t.Helper()
	var e *Echo
	srv := servertest.New(t, servertest.Options{
		// Not servertest's default /24, which other packages' tests bind at
		// the same time: a lease port taken elsewhere sends the relay to a
		// secondary port, and these tests check the exact lease.
		Pool: fmt.Sprintf("127.77.%d.0/24", 100+rand.IntN(150)),
		Echo: func(sb *switchboard.Switchboard, log *slog.Logger) (server.Service, error) {
			c := cfg
			if c.Logger == nil {
				c.Logger = log
			}
			var err error
			e, err = New(sb, c)
			return e, err
		},
	})
	return srv, e
}

// waitLive waits until the echo has n calls in progress.
func waitLive(t testing.TB, e *Echo, n int) {
	t.Helper()
	deadline := time.After(wait)
	for {
		live, changed := e.live()
		if live == n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("echo has %d calls, want %d", live, n)
		}
	}
}

// phone is a test caller: the servertest protocol client and a relay-only
// PeerConnection set up as server/relay says clients must (relay candidates
// accepted at once). It uses one relay URL, the UDP one, so that it makes one
// allocation, on its lease, and the media path is known exactly.
type phone struct {
	t         testing.TB
	c         *servertest.Client
	pc        *webrtc.PeerConnection
	call      wire.CallID
	accepted  *wire.Message
	connected chan struct{}
	msgs      chan *wire.Message // what the pump did not consume

	stop     chan struct{}
	pumping  bool
	pumpDone chan struct{}
	wg       sync.WaitGroup // the test's own media goroutines
}

func newPhone(t testing.TB, srv *servertest.Server, number string) *phone {
	t.Helper()
	p := &phone{
		t: t, c: servertest.Register(t, srv.Addrs.URL, number),
		connected: make(chan struct{}), msgs: make(chan *wire.Message, 64),
		stop: make(chan struct{}), pumpDone: make(chan struct{}),
	}
	t.Cleanup(p.close)
	return p
}

// dial calls the echo test and builds the PeerConnection from the accepted
// message; the caller adds tracks and then calls offer.
func (p *phone) dial() {
	t := p.t
	t.Helper()
	seq := p.c.Send(&wire.Message{Type: wire.TypeDial, To: DefaultCode})
	r := p.c.ExpectReply(seq)
	if r.Type != wire.TypeRinging {
		t.Fatalf("dialling the echo test: %s %s %s", r.Type, r.Code, r.Message)
	}
	p.call = r.Call
	p.accepted = p.c.Expect(wire.TypeAccepted, p.call)
	if !p.accepted.Offerer || p.accepted.Relay == nil {
		t.Fatalf("accepted %+v: want the caller to offer, with relay credentials", p.accepted)
	}

	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: vp8Codec, PayloadType: 96}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: opusCodec, PayloadType: 111}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(m, ir); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetRelayAcceptanceMinWait(0)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	rl := p.accepted.Relay
	pc, err := api.NewPeerConnection(webrtc.Configuration{
		ICEServers:         []webrtc.ICEServer{{URLs: relayURL(rl.URLs), Username: rl.Username, Credential: rl.Credential}},
		ICETransportPolicy: webrtc.ICETransportPolicyRelay,
	})
	if err != nil {
		t.Fatal(err)
	}
	p.pc = pc
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(p.connected) })
		}
	})
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		j := c.ToJSON()
		p.c.SendErr(&wire.Message{Type: wire.TypeICE, Call: p.call, Candidate: &wire.Candidate{
			Candidate: j.Candidate, SDPMid: j.SDPMid, SDPMLineIndex: j.SDPMLineIndex, UsernameFragment: j.UsernameFragment}})
	})
}

// offer sends the offer and starts the pump that applies the echo's answer
// and candidates.
func (p *phone) offer() {
	t := p.t
	t.Helper()
	o, err := p.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	p.c.Send(&wire.Message{Type: wire.TypeSDP, Call: p.call, SDPType: wire.SDPOffer, SDP: o.SDP})
	p.pumping = true
	go p.pump()
}

// pump is the only reader of the client once the offer is out: it applies
// SDP and ICE and hands everything else to msgs.
func (p *phone) pump() {
	defer close(p.pumpDone)
	for {
		m, err := p.c.NextErr(func(*wire.Message) bool { return true })
		if err != nil {
			select {
			case <-p.stop:
				return
			default:
			}
			if strings.Contains(err.Error(), "connection closed") {
				return
			}
			continue
		}
		switch {
		case m.Type == wire.TypeSDP && m.Call == p.call:
			if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP}); err != nil {
				p.t.Errorf("applying the echo's answer: %v", err)
			}
		case m.Type == wire.TypeICE && m.Call == p.call:
			c := m.Candidate
			if err := p.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment}); err != nil {
				p.t.Errorf("adding the echo's candidate: %v", err)
			}
		default:
			select {
			case p.msgs <- m:
			default:
				p.t.Errorf("phone inbox full; dropped %s", m.Type)
			}
		}
	}
}

// expect waits for a message of type typ about the call from the pump.
func (p *phone) expect(typ wire.Type) *wire.Message {
	p.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case m := <-p.msgs:
			if m.Type == typ && m.Call == p.call {
				return m
			}
		case <-deadline:
			p.t.Fatalf("no %s for call %s", typ, p.call)
			return nil
		}
	}
}

func (p *phone) waitConnected() {
	p.t.Helper()
	select {
	case <-p.connected:
	case <-time.After(wait):
		p.t.Fatalf("the phone's media did not connect")
	}
}

// hangup hangs up and waits for the acknowledgement.
func (p *phone) hangup() {
	p.t.Helper()
	p.c.Send(&wire.Message{Type: wire.TypeHangup, Call: p.call})
	p.expect(wire.TypeHangupAck)
}

// selectedPair returns the phone's ICE pair, which must be relay to relay.
func (p *phone) selectedPair() (local, remote netip.AddrPort) {
	p.t.Helper()
	pair, err := p.pc.GetSenders()[0].Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		p.t.Fatalf("no selected candidate pair: %v", err)
	}
	if pair.Local.Typ != webrtc.ICECandidateTypeRelay || pair.Remote.Typ != webrtc.ICECandidateTypeRelay {
		p.t.Fatalf("selected pair %s, want relay to relay", pair)
	}
	ap := func(c *webrtc.ICECandidate) netip.AddrPort {
		return netip.AddrPortFrom(netip.MustParseAddr(c.Address).Unmap(), c.Port)
	}
	return ap(pair.Local), ap(pair.Remote)
}

// askKeyFrame sends a picture-loss request for the echoed video, as a
// decoder that lost its reference would.
func (p *phone) askKeyFrame(ssrc webrtc.SSRC) {
	p.t.Helper()
	if err := p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(ssrc)}}); err != nil {
		p.t.Fatal(err)
	}
}

// close stops the phone's goroutines and its PeerConnection.
func (p *phone) close() {
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	if p.pc != nil {
		_ = p.pc.GracefulClose()
	}
	p.c.Close()
	if p.pumping {
		select {
		case <-p.pumpDone:
		case <-time.After(wait):
			p.t.Errorf("the phone's pump did not stop")
		}
	}
	p.wg.Wait()
}

// goroutines returns the stacks of live goroutines that match any of
// frames, except the caller's.
func goroutines(frames ...string) []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 {
			continue // this goroutine
		}
		for _, f := range frames {
			if strings.Contains(g, f) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// waitGone fails the test unless every goroutine matching frames ends soon.
// A goroutine that has been told to stop gives no signal when it is gone
// (its WaitGroup is done before it returns), so this looks again shortly
// rather than waiting for an event.
func waitGone(t testing.TB, frames ...string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		gs := goroutines(frames...)
		if len(gs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left, the first:\n%s", len(gs), gs[0])
		}
		time.Sleep(5 * time.Millisecond)
	}
}
