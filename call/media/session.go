package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/dtmf"
	"github.com/dialtone/dialtone/call/wire"
)

// Signal is how the session sends SDP and ICE to the other party (through
// the signalling client). Its methods may be called from pion's goroutines
// and must not call back into the Session synchronously.
type Signal interface {
	SendSDP(sdpType, sdp string) error
	SendICE(c wire.Candidate) error
}

// Session is one call's media. Create it with New, start it with Start,
// feed it the other party's SDP and candidates, and Close it when the call
// ends. Its methods are safe for concurrent use.
type Session struct {
	cfg Config
	sig Signal
	log *slog.Logger
	pc  *webrtc.PeerConnection
	bwe *estimator

	videoTrack               *webrtc.TrackLocalStaticRTP
	audioTrack               *dtmf.Track // Opus, and the keypad tones we send
	toneSender               atomic.Pointer[dtmf.Sender]
	tonesIn                  chan byte // the keys the other party sends
	videoSender, audioSender *webrtc.RTPSender

	ctx    context.Context // cancelled by Close: every goroutine's end
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	closed     bool
	started    bool
	remoteSet  bool
	pendingICE []webrtc.ICECandidateInit
	expect     struct{ video, audio bool } // the other party sends them
	sending    bool                        // send loops started

	pcUp        chan struct{} // closed when ICE and DTLS are up
	pcUpOnce    sync.Once
	connected   chan struct{}
	connOnce    sync.Once
	failed      chan error
	failOnce    sync.Once
	closeOnce   sync.Once
	closeErr    error
	firstFrame  atomic.Pointer[time.Time]
	firstVideo  atomic.Bool
	firstAudio  atomic.Bool
	muted       atomic.Bool
	cameraOn    atomic.Bool
	forceKey    atomic.Bool
	pliRequests atomic.Int64

	st     stats
	phases phaseClock
}

// New builds a session's PeerConnection and tracks. Nothing is sent until
// Start (offerer) or the offer (answerer).
func New(cfg Config, sig Signal) (*Session, error) {
	if sig == nil {
		return nil, ErrNoSignal
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Session{
		cfg:       cfg,
		sig:       sig,
		log:       cfg.Logger,
		pcUp:      make(chan struct{}),
		connected: make(chan struct{}),
		failed:    make(chan error, 1),
		tonesIn:   make(chan byte, tonesQueue),
	}
	s.cameraOn.Store(true)
	s.mark(phCreated)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	api, err := s.newAPI(&s.bwe)
	if err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	pcCfg := webrtc.Configuration{ICEServers: s.iceServers()}
	if cfg.RelayOnly {
		pcCfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	if s.pc, err = api.NewPeerConnection(pcCfg); err != nil {
		return nil, fmt.Errorf("media: creating peer connection: %w", err)
	}
	if err := s.addTransceivers(); err != nil {
		_ = s.pc.Close()
		return nil, fmt.Errorf("media: %w", err)
	}
	s.pc.OnICECandidate(s.onICECandidate)
	s.pc.OnConnectionStateChange(s.onConnectionState)
	s.pc.OnICEConnectionStateChange(func(st webrtc.ICEConnectionState) {
		s.log.Debug("ICE state", keyState, st.String())
		switch st {
		case webrtc.ICEConnectionStateChecking:
			s.mark(phChecking)
		case webrtc.ICEConnectionStateConnected:
			s.mark(phICEUp)
		}
	})
	s.pc.OnICEGatheringStateChange(func(st webrtc.ICEGatheringState) {
		if st == webrtc.ICEGatheringStateComplete {
			s.mark(phGathered)
		}
	})
	s.pc.OnTrack(s.onTrack)
	return s, nil
}

// addTransceivers makes one video and one audio transceiver: sendrecv with
// our track when we have the device, recvonly without. The answerer's are
// matched to the offer's media sections by kind.
func (s *Session) addTransceivers() error {
	var err error
	if s.cfg.Camera != nil {
		s.videoTrack, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "dialtone")
		if err != nil {
			return fmt.Errorf("video track: %w", err)
		}
		t, err := s.pc.AddTransceiverFromTrack(s.videoTrack, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
		if err != nil {
			return fmt.Errorf("video transceiver: %w", err)
		}
		s.videoSender = t.Sender()
	} else if _, err := s.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return fmt.Errorf("video transceiver: %w", err)
	}
	if s.cfg.Mic != nil {
		s.audioTrack, err = dtmf.NewTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "dialtone")
		if err != nil {
			return fmt.Errorf("audio track: %w", err)
		}
		t, err := s.pc.AddTransceiverFromTrack(s.audioTrack, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
		if err != nil {
			return fmt.Errorf("audio transceiver: %w", err)
		}
		s.audioSender = t.Sender()
	} else if _, err := s.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return fmt.Errorf("audio transceiver: %w", err)
	}
	return nil
}

// spawn runs f on a goroutine that Close waits for, unless the session is
// closed.
func (s *Session) spawn(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

// Start begins the negotiation. The offerer creates and sends the offer;
// the answerer returns at once and answers when HandleSDP brings the offer.
func (s *Session) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.started {
		s.mu.Unlock()
		return nil
	}
	s.started = true
	s.mu.Unlock()
	if !s.cfg.Offerer {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	offer, err := s.pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("media: creating offer: %w", err)
	}
	if err := s.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("media: setting local offer: %w", err)
	}
	if err := s.sig.SendSDP(offer.Type.String(), offer.SDP); err != nil {
		return fmt.Errorf("media: sending offer: %w", err)
	}
	return nil
}

// HandleSDP takes the other party's offer (answerer: the answer is made
// and sent) or answer (offerer).
func (s *Session) HandleSDP(sdpType, desc string) error {
	if s.isClosed() {
		return ErrClosed
	}
	typ := webrtc.NewSDPType(sdpType)
	switch {
	case typ == webrtc.SDPTypeOffer && !s.cfg.Offerer, typ == webrtc.SDPTypeAnswer && s.cfg.Offerer:
	default:
		return fmt.Errorf("%w: %q to the %s", ErrUnexpectedSDP, sdpType, map[bool]string{true: "offerer", false: "answerer"}[s.cfg.Offerer])
	}
	rd := webrtc.SessionDescription{Type: typ, SDP: desc}
	if err := s.pc.SetRemoteDescription(rd); err != nil {
		return fmt.Errorf("media: setting remote %s: %w", sdpType, err)
	}
	s.mark(phDescribed)
	s.noteRemoteMedia(rd)
	if err := s.flushICE(); err != nil {
		return err
	}
	if typ != webrtc.SDPTypeOffer {
		return nil
	}
	answer, err := s.pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("media: creating answer: %w", err)
	}
	if err := s.pc.SetLocalDescription(answer); err != nil {
		return fmt.Errorf("media: setting local answer: %w", err)
	}
	if err := s.sig.SendSDP(answer.Type.String(), answer.SDP); err != nil {
		return fmt.Errorf("media: sending answer: %w", err)
	}
	return nil
}

// noteRemoteMedia records which media the other party sends, so that
// Connected knows what first frame to wait for.
func (s *Session) noteRemoteMedia(rd webrtc.SessionDescription) {
	parsed, err := rd.Unmarshal()
	if err != nil {
		return
	}
	var video, audio bool
	for _, m := range parsed.MediaDescriptions {
		if m.MediaName.Port.Value == 0 || !sends(m) {
			continue
		}
		switch m.MediaName.Media {
		case "video":
			video = true
		case "audio":
			audio = true
		}
	}
	s.mu.Lock()
	s.remoteSet = true
	s.expect.video, s.expect.audio = video, audio
	s.mu.Unlock()
	s.checkConnected()
}

// sends reports whether a remote media section has the remote sending: a
// direction that allows it and a stream (ssrc or msid) to send. The
// direction alone is not enough: pion answers a recvonly offer "sendonly"
// even when it has no track.
func sends(m *sdp.MediaDescription) bool {
	dir, stream := true, false // no direction attribute means sendrecv
	for _, a := range m.Attributes {
		switch strings.ToLower(a.Key) {
		case "recvonly", "inactive":
			dir = false
		case "ssrc", "msid":
			stream = true
		}
	}
	return dir && stream
}

// HandleICE adds one of the other party's candidates. Candidates that
// arrive before the remote description are kept until it comes.
func (s *Session) HandleICE(c wire.Candidate) error {
	init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if !s.remoteSet {
		s.pendingICE = append(s.pendingICE, init)
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	if err := s.pc.AddICECandidate(init); err != nil {
		return fmt.Errorf("media: adding ICE candidate: %w", err)
	}
	return nil
}

func (s *Session) flushICE() error {
	s.mu.Lock()
	pending := s.pendingICE
	s.pendingICE = nil
	s.remoteSet = true
	s.mu.Unlock()
	for _, c := range pending {
		if err := s.pc.AddICECandidate(c); err != nil {
			return fmt.Errorf("media: adding ICE candidate: %w", err)
		}
	}
	return nil
}

func (s *Session) onICECandidate(c *webrtc.ICECandidate) {
	if c == nil || s.isClosed() {
		return
	}
	if c.Typ == webrtc.ICECandidateTypeRelay {
		s.mark(phRelayCand)
	}
	j := c.ToJSON()
	if err := s.sig.SendICE(wire.Candidate{Candidate: j.Candidate, SDPMid: j.SDPMid, SDPMLineIndex: j.SDPMLineIndex, UsernameFragment: j.UsernameFragment}); err != nil {
		s.log.Warn("sending ICE candidate", "err", err)
	}
}

func (s *Session) onConnectionState(st webrtc.PeerConnectionState) {
	s.log.Debug("connection state", keyState, st.String())
	switch st {
	case webrtc.PeerConnectionStateConnected:
		s.mark(phDTLSUp)
		s.pcUpOnce.Do(func() { close(s.pcUp) })
		s.startSending()
		s.checkConnected()
	case webrtc.PeerConnectionStateFailed:
		s.fail(errors.New("media: connection failed (ICE or DTLS)"))
	case webrtc.PeerConnectionStateClosed:
		if !s.isClosed() {
			s.fail(errors.New("media: connection closed by the other party"))
		}
	}
}

// startSending starts one goroutine per source, once.
func (s *Session) startSending() {
	s.mu.Lock()
	if s.sending {
		s.mu.Unlock()
		return
	}
	s.sending = true
	s.mu.Unlock()
	if s.videoSender != nil {
		s.spawn(func() { s.readSenderRTCP(s.videoSender, true) })
		s.spawn(s.sendVideo)
	}
	if s.audioSender != nil {
		s.spawn(func() { s.readSenderRTCP(s.audioSender, false) })
		s.spawn(s.sendAudio)
	}
}

// checkConnected closes Connected once ICE and DTLS are up and the first
// frame of what the other party sends has been decoded (video if it sends
// video, else audio; nothing, for a call where it sends nothing).
func (s *Session) checkConnected() {
	select {
	case <-s.pcUp:
	default:
		return
	}
	s.mu.Lock()
	ev, ea, set := s.expect.video, s.expect.audio, s.remoteSet
	s.mu.Unlock()
	if !set {
		return
	}
	switch {
	case ev && !s.firstVideo.Load():
		return
	case !ev && ea && !s.firstAudio.Load():
		return
	}
	s.connOnce.Do(func() {
		now := s.cfg.Now()
		s.firstFrame.CompareAndSwap(nil, &now)
		close(s.connected)
	})
}

// frameDecoded notes the first decoded frame of each medium.
func (s *Session) frameDecoded(video bool) {
	if video {
		if s.firstVideo.Swap(true) {
			return
		}
	} else if s.firstAudio.Swap(true) {
		return
	}
	s.checkConnected()
}

func (s *Session) fail(err error) {
	s.failOnce.Do(func() {
		s.log.Warn("media failed", "err", err)
		s.failed <- err
	})
}

func (s *Session) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Connected is closed when ICE and DTLS are up and the first remote media
// frame has been decoded (or at once when connected, for a call in which
// the other party sends nothing).
func (s *Session) Connected() <-chan struct{} { return s.connected }

// Failed delivers one error if the media path fails: ICE failed, DTLS
// failed, or the other party closed the connection. Close does not count.
func (s *Session) Failed() <-chan error { return s.failed }

// FirstFrameAt is when Connected was closed (by Config.Now), the moment
// the call engine measures setup_ms to; zero before.
func (s *Session) FirstFrameAt() time.Time {
	if t := s.firstFrame.Load(); t != nil {
		return *t
	}
	return time.Time{}
}

// SetMuted mutes the microphone: silence is sent and the stream is kept.
func (s *Session) SetMuted(m bool) { s.muted.Store(m) }

// SetCamera turns the camera on or off. Off, no video frames are sent (the
// track stays, so turning it on needs no renegotiation); on again, the
// first frame is a key frame.
func (s *Session) SetCamera(on bool) {
	if on && !s.cameraOn.Swap(true) {
		if s.bwe != nil {
			if err := s.bwe.resume(); err != nil {
				s.log.Warn("restarting the congestion controller", "err", err)
			}
		}
		s.forceKey.Store(true)
		return
	}
	if !on && s.cameraOn.Swap(false) && s.bwe != nil {
		s.bwe.hold()
	}
}

// Close ends the session: it closes the PeerConnection and waits for every
// goroutine the session started. The devices are not closed. Close is
// idempotent.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		if err := s.pc.Close(); err != nil {
			s.closeErr = fmt.Errorf("media: closing peer connection: %w", err)
		}
		s.wg.Wait()
	})
	return s.closeErr
}
