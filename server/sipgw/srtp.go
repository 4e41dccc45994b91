package sipgw

import (
	"fmt"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// replayWindow is how far back SRTP and SRTCP packets are still taken
// (RFC 3711 section 3.3.2 asks for at least 64).
const replayWindow = 128

// srtpLeg is a leg's SRTP: the phone's key decrypts what it sends, the
// gateway's encrypts what it is sent. A pion Context works one way only and
// is not safe for concurrent use, hence two, each under its lock.
type srtpLeg struct {
	inMu  sync.Mutex
	in    *srtp.Context
	outMu sync.Mutex
	out   *srtp.Context
}

func newContext(k *sdesKey, replay bool) (*srtp.Context, error) {
	n, _ := k.suite.profile.KeyLen()
	var opts []srtp.ContextOption
	if replay {
		opts = append(opts, srtp.SRTPReplayProtection(replayWindow), srtp.SRTCPReplayProtection(replayWindow))
	}
	c, err := srtp.CreateContext(k.key[:n], k.key[n:], k.suite.profile, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the SRTP context (%s): %w", k.suite.name, err)
	}
	return c, nil
}

// newSRTPLeg returns s's SRTP, or nil for plain RTP.
func newSRTPLeg(s *stream) (*srtpLeg, error) {
	if s.crypto == nil || s.local == nil {
		return nil, nil
	}
	in, err := newContext(s.crypto, true)
	if err != nil {
		return nil, err
	}
	out, err := newContext(s.local, false)
	if err != nil {
		return nil, err
	}
	return &srtpLeg{in: in, out: out}, nil
}

// rekeyIn takes a new key of the phone's.
func (x *srtpLeg) rekeyIn(k *sdesKey) error {
	in, err := newContext(k, true)
	if err != nil {
		return err
	}
	x.inMu.Lock()
	x.in = in
	x.inMu.Unlock()
	return nil
}

// openRTP decrypts and authenticates the phone's packet raw into pkt; on a
// plain leg it is already there. A packet that fails (plain RTP on an SRTP
// call, a forgery, a replay) is false.
func (l *leg) openRTP(raw []byte, pkt *rtp.Packet) bool {
	if l.sec == nil {
		return true
	}
	l.sec.inMu.Lock()
	dec, err := l.sec.in.DecryptRTP(nil, raw, nil)
	l.sec.inMu.Unlock()
	return err == nil && pkt.Unmarshal(dec) == nil
}

// sealRTP encrypts a packet for the phone; on a plain leg it goes as is.
func (l *leg) sealRTP(raw []byte) ([]byte, error) {
	if l.sec == nil {
		return raw, nil
	}
	l.sec.outMu.Lock()
	defer l.sec.outMu.Unlock()
	return l.sec.out.EncryptRTP(nil, raw, nil)
}

// sealRTCP encrypts an RTCP compound packet for the phone.
func (l *leg) sealRTCP(raw []byte) ([]byte, error) {
	if l.sec == nil {
		return raw, nil
	}
	l.sec.outMu.Lock()
	defer l.sec.outMu.Unlock()
	return l.sec.out.EncryptRTCP(nil, raw, nil)
}

// openRTCP decrypts the phone's RTCP with the key of whichever of its legs
// it authenticates under; with no SRTP leg it is plain. False when it
// authenticates under none.
func (b *bridge) openRTCP(raw []byte) ([]byte, bool) {
	secure := false
	for _, l := range b.legs {
		if l.sec == nil {
			continue
		}
		secure = true
		l.sec.inMu.Lock()
		dec, err := l.sec.in.DecryptRTCP(nil, raw, nil)
		l.sec.inMu.Unlock()
		if err == nil {
			return dec, true
		}
	}
	return raw, !secure
}

// toneLeg is the leg whose key opens pkt when it is one of the phone's
// telephone events (which toneFromPhone takes before any leg): the audio
// leg's, the events sharing its stream. Nil otherwise.
func (b *bridge) toneLeg(pkt *rtp.Packet) *leg {
	l := b.audioLeg()
	if l == nil || l.s.tonePT == 0 || pkt.PayloadType != l.s.tonePT || l.s.tonePT == l.s.pt {
		return nil
	}
	return l
}
