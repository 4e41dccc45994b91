package echo

import (
	"fmt"
	"github.com/pion/sdp/v3"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/dtmf"
	"github.com/dialtone/dialtone/call/wire"
)

// The codecs dialtone speaks; the answer keeps the caller's payload types.
var (
	vp8Codec = webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
		RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}},
	}
	opusCodec = webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1",
	}
)

// leg is one transceiver: what arrives on its receiver goes out on its
// sender, through local.
type leg struct {
	tr     *webrtc.RTPTransceiver
	sender *webrtc.RTPSender
	local  *webrtc.TrackLocalStaticRTP
	tones  *dtmf.Track // the audio leg's: echoes keypad tones (dtmf.go)
	// remoteSSRC is the caller's stream on this transceiver, 0 until its
	// first packet; picture-loss requests name it.
	remoteSSRC atomic.Uint32
}

// newAPI builds one call's pion API: a MediaEngine must not be shared
// between PeerConnections.
func (e *Echo) newAPI(relay *wire.Relay) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: vp8Codec, PayloadType: 96}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: opusCodec, PayloadType: 111}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	if err := m.RegisterCodec(dtmf.Codec(), webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	// NACK recovers the caller's uplink losses before they are echoed and
	// answers the caller's NACKs for the echoed stream; reports give the
	// caller RTT and loss; TWCC feedback feeds the caller's congestion
	// controller for the uplink, the path its encoder's bits take first.
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(m, ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureTWCCSender(m, ir); err != nil {
		return nil, err
	}
	var se webrtc.SettingEngine
	// pion holds relay candidates back 2 s unless told otherwise (see
	// server/relay): here every candidate is a relay candidate.
	se.SetRelayAcceptanceMinWait(0)
	se.SetNetworkTypes(e.networkTypes(relay))
	if e.cfg.Net != nil {
		se.SetNet(e.cfg.Net)
	}
	se.LoggerFactory = slogFactory{e.log}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// networkTypes is Config.NetworkTypes, or UDP in the family of the relay
// URL the echo uses (UDP4 for turn:127.0.0.1:…, UDP4 for a host name).
func (e *Echo) networkTypes(relay *wire.Relay) []webrtc.NetworkType {
	if len(e.cfg.NetworkTypes) > 0 {
		return e.cfg.NetworkTypes
	}
	if relay != nil {
		for _, u := range relayURL(relay.URLs) {
			_, rest, _ := strings.Cut(u, ":")
			hostport, _, _ := strings.Cut(rest, "?")
			if ap, err := netip.ParseAddrPort(hostport); err == nil && ap.Addr().Is6() && !ap.Addr().Is4In6() {
				return []webrtc.NetworkType{webrtc.NetworkTypeUDP6}
			}
		}
	}
	return []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
}

// relayURL picks one relay URL, the first UDP one if there is one. The echo
// runs beside the relay, where UDP always gets through: more URLs (TURN
// over TCP, a second address family) would only make more allocations per
// call (the relay's per-call quota is two) and more pairs to check.
func relayURL(urls []string) []string {
	for _, u := range urls {
		if strings.HasSuffix(u, "?transport=udp") {
			return []string{u}
		}
	}
	if len(urls) > 0 {
		return urls[:1]
	}
	return nil
}

// startMedia builds the call's PeerConnection from the accepted message.
func (c *call) startMedia(m *wire.Message) error {
	if m.Offerer {
		return errNotAnswerer
	}
	if c.pc != nil {
		return nil
	}
	if m.Media == wire.MediaRelay && m.Relay == nil {
		return errNoRelay
	}
	api, err := c.e.newAPI(m.Relay)
	if err != nil {
		return fmt.Errorf("building the media engine: %w", err)
	}
	var conf webrtc.Configuration
	if m.Relay != nil {
		conf.ICEServers = []webrtc.ICEServer{{URLs: relayURL(m.Relay.URLs), Username: m.Relay.Username, Credential: m.Relay.Credential}}
	}
	if m.Media == wire.MediaRelay {
		conf.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	pc, err := api.NewPeerConnection(conf)
	if err != nil {
		return fmt.Errorf("creating the peer connection: %w", err)
	}
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand != nil {
			c.events.push(event{kind: eventCandidate, cand: cand})
		}
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		c.events.push(event{kind: eventState, state: s})
	})
	pc.OnTrack(c.onTrack)
	c.pc = pc
	c.log.Debug("echo media started", "local_lease", m.LocalLease, "remote_lease", m.RemoteLease, "media", m.Media)
	return nil
}

// answer applies the caller's offer, gives every transceiver that has
// nothing to send a track to echo into, and sends the answer.
func (c *call) answer(sdp string) error {
	if c.pc == nil {
		return errNotAccepted
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return fmt.Errorf("applying the offer: %w", err)
	}
	if err := c.addLegs(callerSends(sdp)); err != nil {
		return err
	}
	ans, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("creating the answer: %w", err)
	}
	if err := c.pc.SetLocalDescription(ans); err != nil {
		return fmt.Errorf("applying the answer: %w", err)
	}
	c.e.handle(&wire.Message{Type: wire.TypeSDP, Call: c.id, SDPType: wire.SDPAnswer, SDP: ans.SDP})
	for _, init := range c.pending {
		if err := c.pc.AddICECandidate(init); err != nil {
			c.log.Debug("ignoring a candidate", "candidate", init.Candidate, "err", err)
		}
	}
	c.pending = nil
	return nil
}

// addLegs gives every transceiver the caller sends on a track to echo
// into. One the caller only receives on (no camera, no microphone) gets
// none: echoing nothing there would tell the caller to wait for media that
// never comes.
func (c *call) addLegs(sends map[string]bool) error {
	for _, tr := range c.pc.GetTransceivers() {
		if tr.Sender() != nil || !sends[tr.Mid()] {
			continue
		}
		codec := vp8Codec
		switch tr.Kind() {
		case webrtc.RTPCodecTypeVideo:
		case webrtc.RTPCodecTypeAudio:
			codec = opusCodec
		default:
			continue
		}
		track, local, tones, err := newEchoTrack(codec, tr.Kind())
		if err != nil {
			return fmt.Errorf("creating the echo track: %w", err)
		}
		// AddTrack takes the first transceiver of the kind with nothing to
		// send, which is tr.
		sender, err := c.pc.AddTrack(track)
		if err != nil {
			return fmt.Errorf("adding the echo track: %w", err)
		}
		l := &leg{tr: tr, sender: sender, local: local, tones: tones}
		for _, t := range c.pc.GetTransceivers() {
			if t.Sender() == sender {
				l.tr = t
			}
		}
		if !c.goForward(l, func() { c.readRTCP(l) }) {
			return errClosing
		}
	}
	return nil
}

// goForward starts f for l unless the call is closing; closeMedia waits
// for it.
func (c *call) goForward(l *leg, f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	if l != nil {
		c.legs = append(c.legs, l)
	}
	c.fwd.Add(1)
	go func() {
		defer c.fwd.Done()
		f()
	}()
	return true
}

// onTrack runs on pion's goroutine for each track the caller sends and
// echoes it until the PeerConnection closes.
func (c *call) onTrack(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	var l *leg
	for _, x := range c.legs {
		if x.tr.Receiver() == receiver {
			l = x
		}
	}
	if l == nil {
		c.mu.Unlock()
		c.log.Warn("a track on no known transceiver", "kind", track.Kind().String(), "ssrc", track.SSRC())
		return
	}
	c.fwd.Add(1)
	c.mu.Unlock()
	defer c.fwd.Done()
	l.remoteSSRC.Store(uint32(track.SSRC()))
	c.log.Debug("echoing a track", "kind", track.Kind().String(), "codec", track.Codec().MimeType, "ssrc", track.SSRC())
	if track.Kind() == webrtc.RTPCodecTypeVideo {
		// The caller's decoder of the echo starts now and needs a key
		// frame; the caller's first one most likely went out before the
		// media path was up. Asking at once saves waiting for its decoder
		// to notice, or for the encoder's next periodic key frame.
		c.requestKeyFrame(l)
	}
	c.forward(track, l)
}

// forward writes every media packet of track back on l's local track. The
// local track sets SSRC and payload type for the answer's stream; header
// extensions go, as their IDs and values (transport-wide sequence numbers
// above all) belong to the caller's stream, and pion's interceptors add
// the echo's own. Padding-only packets go too: they probe the caller's
// uplink and carry no media.
func (c *call) forward(track *webrtc.TrackRemote, l *leg) {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			continue
		}
		if len(pkt.Payload) == 0 || c.echoTone(l, track.Codec(), &pkt) {
			continue
		}
		echoPacket(&pkt)
		if err := l.local.WriteRTP(&pkt); err != nil {
			c.log.Debug("echoing a packet", "err", err)
			continue
		}
		c.e.stats.packets.Add(1)
	}
}

// echoPacket strips what of p belongs to the caller's stream alone.
func echoPacket(p *rtp.Packet) {
	p.Header.Extension = false
	p.Header.ExtensionProfile = 0
	p.Header.Extensions = p.Header.Extensions[:0]
	p.Header.Padding = false
	p.Header.PaddingSize = 0
	p.PaddingSize = 0
}

// readRTCP reads what the caller says about the echoed stream (pion's
// interceptors need it read to answer NACKs) and passes a picture-loss
// request on to the caller's own video sender: the caller's decoder asked
// for a key frame and only the caller's encoder can make one.
func (c *call) readRTCP(l *leg) {
	for {
		pkts, _, err := l.sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				c.requestKeyFrame(l)
			}
		}
	}
}

func (c *call) requestKeyFrame(l *leg) {
	ssrc := l.remoteSSRC.Load()
	if ssrc == 0 {
		return
	}
	c.e.stats.keyFrameRequests.Add(1)
	if err := c.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		c.log.Debug("asking the caller for a key frame", "err", err)
	}
}

// closeMedia closes the PeerConnection and waits for everything reading
// from it.
func (c *call) closeMedia() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	if c.pc != nil {
		if err := c.pc.GracefulClose(); err != nil {
			c.log.Debug("closing the peer connection", "err", err)
		}
	}
	c.fwd.Wait()
}

// callerSends reads which media sections of an offer the caller sends on,
// by mid: those marked sendrecv or sendonly (sendrecv when unmarked).
func callerSends(offer string) map[string]bool {
	var d sdp.SessionDescription
	sends := map[string]bool{}
	if d.Unmarshal([]byte(offer)) != nil {
		return sends
	}
	for _, m := range d.MediaDescriptions {
		mid, _ := m.Attribute("mid")
		send := true
		for _, a := range m.Attributes {
			switch a.Key {
			case "recvonly", "inactive":
				send = false
			}
		}
		sends[mid] = send
	}
	return sends
}
