package sipgw

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/dtmf"
)

// latchWindow is how many of a stream's first packets may move where the
// gateway sends to: symmetric RTP for phones behind NAT, who send from
// another address than their SDP says. After it the source is fixed, and a
// packet from elsewhere is dropped.
const latchWindow = 16

var (
	vp8Codec = webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
		RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}},
	}
	opusCodec = webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1",
	}
)

// leg is one medium across the bridge: the SIP phone's stream and its
// WebRTC track.
type leg struct {
	s     *stream
	local trackLocal // toward the dialtone party
	ssrc  uint32     // the gateway's SSRC toward the phone
	sec   *srtpLeg   // SRTP (SDES), or nil for plain RTP

	mu      sync.Mutex
	to      netip.AddrPort // where the phone gets RTP: its SDP, then latched
	rtcpTo  netip.AddrPort
	latched bool
	seen    int

	tc        *transcoder   // a G.711 phone's audio: nil passes RTP through
	held      atomic.Bool   // the phone takes nothing: on hold, or sendonly
	phoneSSRC atomic.Uint32 // the phone's stream, for key-frame requests to it
	peerSSRC  atomic.Uint32 // the dialtone party's stream, for requests to it
	lastKey   uint32        // the timestamp of the last key sent by INFO (onTrack's goroutine only)
	keySent   bool

	rx    received // the phone's stream, for the gateway's reports
	tx    sent     // the gateway's stream, for its SRs
	phone heard    // the phone's last report of the gateway's stream
}

// bridge joins the SIP phone's RTP on the lease to a WebRTC session with
// the dialtone party. One UDP socket on the leased address carries both:
// pion's ICE mux takes what the relay sends (STUN, DTLS, SRTP from the
// dialtone party's lease), and what it cannot place — the phone's RTP and
// RTCP — comes to the gateway.
type bridge struct {
	log   logger
	conn  *net.UDPConn
	bound netip.AddrPort // conn's address
	mux   *ice.UDPMuxDefault
	pc    *webrtc.PeerConnection
	legs  []*leg
	stats *counters
	tones toneState
	opus  Opus // for a G.711 phone's leg; set before setLegs
	// keyOut sends a key of the dialtone party's to a phone that took no
	// telephone-event (by SIP INFO); set before setLegs.
	keyOut func(digit byte, ms int)
	// every is the mean interval of the gateway's RTCP reports to the
	// phone (reportInterval when zero; tests shorten it); set before
	// setLegs.
	every time.Duration
	cname string // the gateway's RTCP CNAME in this call

	in        chan datagram // never closed: the mux may call back until it is
	done      chan struct{}
	mu        sync.Mutex
	closing   bool
	reporting bool // the legs are set: reports go to the phone
	wg        sync.WaitGroup
	once      sync.Once
}

type datagram struct {
	b    []byte
	from netip.AddrPort
}

type logger interface {
	Debug(msg string, args ...any)
	Warn(msg string, args ...any)
}

// newBridge binds the lease and builds the PeerConnection; setLegs adds
// the phone's streams once its SDP is known.
//
// The lease port goes to the number's first call. A second one at the same
// time (call waiting at the phone, or the number's dialtone client in a
// call through the relay) binds the lease IP with a kernel-chosen port, as
// the relay does for its second allocation; the gateway tells the relay of
// it (Gateway.Aliases).
func newBridge(at netip.AddrPort, log logger, st *counters, onCand func(*webrtc.ICECandidate), onState func(webrtc.PeerConnectionState)) (*bridge, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(at))
	if errors.Is(err, syscall.EADDRINUSE) {
		conn, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(at.Addr(), 0)))
	}
	if err != nil {
		return nil, fmt.Errorf("binding the lease %s: %w", at, err)
	}
	bound := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	b := &bridge{log: log, conn: conn, bound: netip.AddrPortFrom(bound.Addr().Unmap(), bound.Port()),
		stats: st, in: make(chan datagram, 512), done: make(chan struct{}), cname: newCNAME()}
	b.mux = ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn, OnUnhandledPacket: b.unhandled})
	api, err := newAPI(b.mux)
	if err != nil {
		b.close()
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		b.close()
		return nil, fmt.Errorf("creating the peer connection: %w", err)
	}
	b.pc = pc
	pc.OnICECandidate(onCand)
	pc.OnConnectionStateChange(onState)
	pc.OnTrack(b.onTrack)
	return b, nil
}

// newAPI builds one call's pion API: a MediaEngine is not shared between
// PeerConnections. Its only candidate is the lease, through mux.
func newAPI(mux ice.UDPMux) (*webrtc.API, error) {
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
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(m, ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	var se webrtc.SettingEngine
	se.SetICEUDPMux(mux)
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// setLegs makes a leg of each stream of o and starts passing the phone's
// packets on. It is called once.
func (b *bridge) setLegs(o *offer) error {
	for i, s := range []*stream{o.audio, o.video} {
		if s == nil {
			continue
		}
		codec := opusCodec
		if s.kind == "video" {
			codec = vp8Codec
		}
		local, err := b.newTrack(codec, s.kind)
		if err != nil {
			return err
		}
		sec, err := newSRTPLeg(s)
		if err != nil {
			return err
		}
		l := &leg{s: s, local: local, ssrc: 0x5150_0000 + uint32(i), to: s.addr, rtcpTo: s.rtcp, sec: sec}
		l.held.Store(!s.recv)
		b.legs = append(b.legs, l)
		if s.isG711() {
			if l.tc, err = newTranscoder(b.opus, s); err != nil {
				return err
			}
			b.stats.transcoded.Add(1)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return errClosing
	}
	b.wg.Add(2)
	b.reporting = true
	go b.readSIP()
	go b.reports()
	return nil
}

// addTracks puts the legs' tracks on the PeerConnection: as new
// transceivers when the gateway offers, or on the offer's transceivers of
// the same kind when it answers.
func (b *bridge) addTracks() error {
	for _, l := range b.legs {
		sender, err := b.pc.AddTrack(l.local)
		if err != nil {
			return fmt.Errorf("adding the %s track: %w", l.s.kind, err)
		}
		b.mu.Lock()
		b.wg.Add(1)
		b.mu.Unlock()
		go b.readRTCP(l, sender)
	}
	return nil
}

// answer answers the dialtone party's offer. A kind of stream the phone
// has no leg for (video to a phone that took none) is answered inactive,
// so the dialtone party does not send it through the relay for nothing.
func (b *bridge) answer(offer string) (string, error) {
	if err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	if err := b.addTracks(); err != nil {
		return "", err
	}
	for _, t := range b.pc.GetTransceivers() {
		if !slices.ContainsFunc(b.legs, func(l *leg) bool { return l.s.kind == t.Kind().String() }) {
			if err := t.Stop(); err != nil {
				return "", fmt.Errorf("turning down the %s stream: %w", t.Kind(), err)
			}
		}
	}
	a, err := b.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	if err := b.pc.SetLocalDescription(a); err != nil {
		return "", err
	}
	return a.SDP, nil
}

// unhandled is the ICE mux's callback for a datagram of no ICE session: the
// phone's. It must not block.
func (b *bridge) unhandled(data []byte, from netip.AddrPort) {
	d := datagram{b: append([]byte(nil), data...), from: netip.AddrPortFrom(from.Addr().Unmap(), from.Port())}
	select {
	case b.in <- d:
	default:
		b.stats.rtpDropped.Add(1)
	}
}

// readSIP passes the phone's RTP to the dialtone party and acts on its
// RTCP, until the bridge closes.
func (b *bridge) readSIP() {
	defer b.wg.Done()
	var pkt rtp.Packet
	for {
		var d datagram
		select {
		case <-b.done:
			return
		case d = <-b.in:
		}
		if len(d.b) < 2 {
			continue
		}
		if pt := d.b[1] & 0x7f; d.b[1] >= 192 && d.b[1] <= 223 || pt >= 72 && pt <= 76 && d.b[1]&0x80 != 0 {
			b.phoneRTCP(d)
			continue
		}
		if pkt.Unmarshal(d.b) != nil {
			b.stats.rtpDropped.Add(1)
			continue
		}
		if tl := b.toneLeg(&pkt); tl != nil && !tl.openRTP(d.b, &pkt) {
			b.stats.rtpDropped.Add(1)
			continue
		}
		if b.toneFromPhone(&pkt, d.from) {
			continue
		}
		l := b.legFor(&pkt, d.from)
		// Decrypted before it may latch: a stranger's plain RTP on an
		// SRTP call moves nothing.
		if l == nil || !l.openRTP(d.b, &pkt) || !l.accept(d.from) {
			b.log.Debug("dropping a SIP packet", "pt", pkt.PayloadType, "from", d.from, "leg", l != nil)
			b.stats.rtpDropped.Add(1)
			continue
		}
		l.phoneSSRC.Store(pkt.SSRC)
		l.rx.add(&pkt.Header, time.Now(), l.s.clock(), true)
		if l.tc != nil {
			b.fromPhone(l, &pkt)
			continue
		}
		pkt.Header.Extension, pkt.Header.Extensions = false, nil
		b.renumber(l, &pkt)
		if err := l.local.WriteRTP(&pkt); err != nil {
			b.log.Debug("passing a SIP packet on", "err", err)
			continue
		}
		b.stats.rtpFromSIP.Add(1)
	}
}

// legFor finds the stream a packet of the phone's belongs to: by the SSRC
// its SDP names, else by payload type, else — phones such as baresip give
// Opus and VP8 the same payload type on their two lines — by where it comes
// from.
func (b *bridge) legFor(p *rtp.Packet, src netip.AddrPort) *leg {
	var byPT []*leg
	for _, l := range b.legs {
		if slices.Contains(l.s.ssrcs, p.SSRC) {
			return l
		}
		if l.s.pt == p.PayloadType {
			byPT = append(byPT, l)
		}
	}
	switch len(byPT) {
	case 0:
		return nil
	case 1:
		return byPT[0]
	}
	for _, l := range byPT {
		if to, _ := l.target(); to == src {
			return l
		}
	}
	for _, l := range byPT {
		if l.s.addr.Port() == src.Port() {
			return l
		}
	}
	return nil
}

// accept reports whether a packet from src belongs to the phone: within
// the latch window any source may be (the last one wins; the SDP address
// always may), after it only the latched one.
func (l *leg) accept(src netip.AddrPort) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen < latchWindow {
		l.seen++
	} else {
		return l.latched && src == l.to
	}
	if !l.latched || src == l.s.addr {
		if l.s.mux {
			l.rtcpTo = src
		}
		l.to, l.latched = src, true
	}
	return src == l.to
}

func (l *leg) target() (rtpTo, rtcpTo netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.to, l.rtcpTo
}

// source reports whether src is where one of the phone's streams comes
// from, or where it takes RTCP (a phone that does not multiplex sends its
// RTCP from there).
func (b *bridge) source(src netip.AddrPort) bool {
	for _, l := range b.legs {
		if to, rtcpTo := l.target(); to == src || rtcpTo == src {
			return true
		}
	}
	return false
}

// phoneRTCP turns the phone's picture-loss requests into key-frame
// requests of the dialtone party's video sender, and takes its reports
// (phoneReport); they end here, as pion makes the WebRTC side's own.
func (b *bridge) phoneRTCP(d datagram) {
	if !b.source(d.from) {
		b.stats.rtpDropped.Add(1)
		return
	}
	raw, ok := b.openRTCP(d.b)
	if !ok {
		b.stats.rtpDropped.Add(1)
		return
	}
	pkts, err := rtcp.Unmarshal(raw)
	if err != nil {
		return
	}
	now := time.Now()
	for _, p := range pkts {
		switch p.(type) {
		case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
			b.keyFrameFromPeer()
		case *rtcp.SenderReport, *rtcp.ReceiverReport:
			b.phoneReport(p, now)
		}
	}
}

// keyFrameFromPeer asks the dialtone party's video sender for a key frame.
func (b *bridge) keyFrameFromPeer() {
	for _, l := range b.legs {
		if ssrc := l.peerSSRC.Load(); l.s.kind == "video" && ssrc != 0 {
			b.stats.keyFrames.Add(1)
			if err := b.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
				b.log.Debug("asking for a key frame", "err", err)
			}
		}
	}
}

// keyFrameFromPhone sends the phone a picture-loss indication for its
// video.
func (b *bridge) keyFrameFromPhone(l *leg) {
	ssrc := l.phoneSSRC.Load()
	_, to := l.target()
	if ssrc == 0 || !to.IsValid() {
		return
	}
	raw, err := (&rtcp.PictureLossIndication{SenderSSRC: l.ssrc, MediaSSRC: ssrc}).Marshal()
	if err == nil {
		raw, err = l.sealRTCP(raw)
	}
	if err != nil {
		return
	}
	b.stats.keyFrames.Add(1)
	if _, err := b.conn.WriteToUDPAddrPort(raw, to); err != nil {
		b.log.Debug("asking the phone for a key frame", "err", err)
	}
}

// onTrack passes the dialtone party's track to the phone, with the
// negotiated payload type and the gateway's SSRC, until the connection
// closes.
func (b *bridge) onTrack(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	var l *leg
	for _, x := range b.legs {
		if x.s.kind == track.Kind().String() {
			l = x
		}
	}
	b.mu.Lock()
	if l == nil || b.closing {
		b.mu.Unlock()
		return
	}
	b.wg.Add(1)
	b.mu.Unlock()
	defer b.wg.Done()
	l.peerSSRC.Store(uint32(track.SSRC()))
	if l.s.kind == "video" {
		b.keyFrameFromPeer() // the phone's decoder starts now
	}
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		if pkt.Unmarshal(buf[:n]) != nil || len(pkt.Payload) == 0 || l.held.Load() || b.toneToPhone(l, track.Codec(), &pkt) {
			continue
		}
		if l.tc != nil {
			b.toPhone(l, &pkt)
			continue
		}
		pkt.Header.Extension, pkt.Header.Extensions = false, nil
		pkt.Header.Padding, pkt.PaddingSize = false, 0
		pkt.PayloadType, pkt.SSRC = l.s.pt, l.ssrc
		raw, err := pkt.Marshal()
		if err == nil {
			l.tx.add(pkt.Timestamp, len(pkt.Payload), time.Now())
			raw, err = l.sealRTP(raw)
		}
		if err != nil {
			continue
		}
		to, _ := l.target()
		if _, err := b.conn.WriteToUDPAddrPort(raw, to); err != nil {
			b.log.Debug("sending RTP to the phone", "err", err)
			continue
		}
		b.stats.rtpToSIP.Add(1)
	}
}

// readRTCP reads what the dialtone party says about a leg's stream (pion's
// interceptors answer NACKs from it) and passes picture-loss requests on
// to the phone.
func (b *bridge) readRTCP(l *leg, sender *webrtc.RTPSender) {
	defer b.wg.Done()
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				b.keyFrameFromPhone(l)
			case *rtcp.ReceiverReport:
				b.lossFromPeer(l, senderSSRC(sender), p.Reports)
			}
		}
	}
}

// update applies a re-INVITE's offer: a stream the phone no longer
// receives (hold: sendonly or inactive) is not sent to it. Its addresses
// and payload types stay as first agreed.
func (b *bridge) update(o *offer) {
	for _, l := range b.legs {
		s := o.audio
		if l.s.kind == "video" {
			s = o.video
		}
		l.held.Store(s == nil || !s.recv)
	}
}

// addr is where the bridge is bound: the lease, or in a second call on
// the same lease its IP with another port.
func (b *bridge) addr() netip.AddrPort { return b.bound }

// videoLeg returns the video leg, or nil.
func (b *bridge) videoLeg() *leg {
	for _, l := range b.legs {
		if l.s.kind == "video" {
			return l
		}
	}
	return nil
}

// candidate is the signalling form of a gateway candidate. The gateway's
// only address is its lease, as a relay candidate's is, and the relay policy
// passes nothing else on (server/scrub), so its host candidate goes as one.
func candidate(c *webrtc.ICECandidate) webrtc.ICECandidateInit {
	j := c.ToJSON()
	j.Candidate = strings.Replace(j.Candidate, " typ host", " typ relay raddr 0.0.0.0 rport 0", 1)
	return j
}

// close ends the PeerConnection and the lease socket and waits for the
// bridge's goroutines.
func (b *bridge) close() {
	b.once.Do(func() {
		b.mu.Lock()
		b.closing = true
		reporting := b.reporting
		b.mu.Unlock()
		if reporting {
			now := time.Now()
			for _, l := range b.legs {
				b.sendReport(l, now, true)
			}
		}
		if b.pc != nil {
			if err := b.pc.GracefulClose(); err != nil {
				b.log.Debug("closing the peer connection", "err", err)
			}
		}
		b.mux.Close()
		b.conn.Close()
		close(b.done)
		b.wg.Wait()
		for _, l := range b.legs {
			if l.tc != nil {
				l.tc.close()
			}
		}
	})
}
