package media

import (
	"fmt"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/webrtc/v4"
)

// RTP payload types we offer. Fixed, so that both ends of a dialtone call
// agree without looking.
const (
	ptVP8  = 96
	ptOpus = 111
)

// ICE timing for calls: a call whose path stops answering is "disconnected"
// after 4 s (the TUI shows it), "failed" after 12 s (the call ends); a
// keepalive every second finds a dead path fast and keeps NAT and relay
// bindings fresh.
const (
	iceDisconnected = 4 * time.Second
	iceFailed       = 12 * time.Second
	iceKeepalive    = time.Second
	// relayWaitAuto is how long ICE waits for a direct path before it takes
	// a relay pair, under the "auto" policy. pion's default is 2 s; on a
	// network where direct works it wins within a few milliseconds.
	relayWaitAuto = 100 * time.Millisecond
	// nackInterval is how often missing packets are asked for again
	// (pion's default 100 ms would cost every loss at least that much).
	nackInterval   = 20 * time.Millisecond
	nackMaxTries   = 8
	dtlsRetransmit = 200 * time.Millisecond
)

// newAPI builds the pion API for one session: codecs, interceptors and
// settings. est receives the congestion controller's bandwidth
// estimator when the PeerConnection is made.
func (s *Session) newAPI(est **estimator) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	videoFB := []webrtc.RTCPFeedback{{Type: "ccm", Parameter: "fir"}}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFB},
		PayloadType:        ptVP8,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("registering VP8: %w", err)
	}
	// Opus always says 2 channels in SDP; stereo=0 asks for mono.
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1;stereo=0",
		},
		PayloadType: ptOpus,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("registering Opus: %w", err)
	}
	if err := registerTones(me); err != nil {
		return nil, err
	}

	ir := &interceptor.Registry{}
	// Interceptors wrap each other in the order added, the first one
	// nearest the network: the congestion controller goes first so that
	// it sees every packet sent, retransmissions included (and can
	// account for them), after the TWCC header extension is stamped.
	newGCC := func(initialBps int) (cc.BandwidthEstimator, error) {
		return gcc.NewSendSideBWE(
			gcc.SendSideBWEInitialBitrate(initialBps),
			gcc.SendSideBWEMinBitrate(minEstimateBps),
			gcc.SendSideBWEMaxBitrate(s.totalFor(s.cfg.MaxKbps)),
			// Frames go out as they are encoded; the encoder already
			// holds the rate, and a leaky-bucket pacer at 1.5× the
			// estimate would hold a key frame back for hundreds of
			// milliseconds at the low rates we care about.
			gcc.SendSideBWEPacer(gcc.NewNoOpPacer()),
			gcc.WithLoggerFactory(pionLogs{s.log}),
		)
	}
	ccf, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		return newEstimator(newGCC, s.totalFor(s.cfg.StartKbps))
	})
	if err != nil {
		return nil, fmt.Errorf("congestion controller: %w", err)
	}
	ccf.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) { *est, _ = e.(*estimator) })
	ir.Add(ccf)
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(me, ir); err != nil {
		return nil, fmt.Errorf("TWCC header extension: %w", err)
	}
	gen := []nack.GeneratorOption{
		nack.GeneratorInterval(nackInterval),
		nack.GeneratorMaxNacksPerPacket(nackMaxTries),
		nack.WithGeneratorLoggerFactory(pionLogs{s.log}),
	}
	if err := webrtc.ConfigureNackWithOptions(me, ir, gen, nack.WithResponderLoggerFactory(pionLogs{s.log})); err != nil {
		return nil, fmt.Errorf("NACK: %w", err)
	}
	if err := webrtc.ConfigureRTCPReportsWithOptions(ir,
		[]report.ReceiverOption{report.WithReceiverLoggerFactory(pionLogs{s.log})},
		report.WithSenderLoggerFactory(pionLogs{s.log})); err != nil {
		return nil, fmt.Errorf("RTCP reports: %w", err)
	}
	if err := webrtc.ConfigureTWCCSenderWithOptions(me, ir, twcc.WithLoggerFactory(pionLogs{s.log})); err != nil {
		return nil, fmt.Errorf("TWCC feedback: %w", err)
	}

	var se webrtc.SettingEngine
	se.LoggerFactory = pionLogs{s.log}
	se.SetICETimeouts(iceDisconnected, iceFailed, iceKeepalive)
	se.SetHostAcceptanceMinWait(0)
	// server/relay: relay candidates must be accepted at once, or every
	// relayed call waits pion's 2 s before it connects.
	if s.cfg.RelayOnly {
		se.SetRelayAcceptanceMinWait(0)
	} else {
		se.SetRelayAcceptanceMinWait(relayWaitAuto)
	}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// DTLS's default first retransmission (1 s) is what a lost handshake
	// packet costs the call's set-up; 200 ms keeps a lossy link's set-up
	// near a second, and a spare flight on a long path is harmless.
	se.SetDTLSRetransmissionInterval(dtlsRetransmit)
	if s.cfg.Net != nil {
		se.SetNet(s.cfg.Net)
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	} else {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
		// Two phones on one machine (the embedded local server, tests)
		// talk over loopback.
		se.SetIncludeLoopbackCandidate(true)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

func (s *Session) iceServers() []webrtc.ICEServer {
	r := s.cfg.Relay
	if r == nil || len(r.URLs) == 0 {
		return nil
	}
	return []webrtc.ICEServer{{URLs: relayURLs(r.URLs), Username: r.Username, Credential: r.Credential}}
}

// relayURLs keeps the UDP relay URLs when there are any. ICE allocates on
// every URL it is given, and the relay binds the first allocation on the
// lease's own port and any further one on a kernel-chosen port of the lease
// IP; one UDP allocation keeps the media on the lease itself. TURN over TCP
// stays as the fallback when the server offers nothing else.
func relayURLs(urls []string) []string {
	var udp []string
	for _, u := range urls {
		if !strings.Contains(u, "transport=tcp") && !strings.HasPrefix(u, "turns:") {
			udp = append(udp, u)
		}
	}
	if len(udp) == 0 {
		return urls
	}
	return udp
}
