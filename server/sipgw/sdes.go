package sipgw

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/sdp/v3"
	"github.com/pion/srtp/v3"
)

// SRTP with SDES (RFC 4568): the phone's a=crypto line carries the key it
// sends with, the gateway's the key it sends with. The keys travel in the
// SDP, so they are only as secret as the signalling: over TLS they are,
// over UDP or TCP anyone on the path reads them (the gateway takes them
// and says so in its log).

const (
	protoAVP  = "RTP/AVP"
	protoSAVP = "RTP/SAVP"
)

// suite is an SDES crypto-suite pion/srtp implements.
type suite struct {
	name    string
	profile srtp.ProtectionProfile
}

// suites are the crypto-suites the gateway takes, and offers in this
// order: RFC 4568's two, RFC 7714's GCM and RFC 6188's AES-256.
var suites = []suite{
	{"AES_CM_128_HMAC_SHA1_80", srtp.ProtectionProfileAes128CmHmacSha1_80},
	{"AES_CM_128_HMAC_SHA1_32", srtp.ProtectionProfileAes128CmHmacSha1_32},
	{"AEAD_AES_128_GCM", srtp.ProtectionProfileAeadAes128Gcm},
	{"AES_256_CM_HMAC_SHA1_80", srtp.ProtectionProfileAes256CmHmacSha1_80},
	{"AEAD_AES_256_GCM", srtp.ProtectionProfileAeadAes256Gcm},
}

func suiteNamed(name string) (suite, bool) {
	for _, s := range suites {
		if s.name == name {
			return s, true
		}
	}
	return suite{}, false
}

// sdesKey is one a=crypto line: its tag, suite and master key and salt.
type sdesKey struct {
	tag   int
	suite suite
	key   []byte // master key, then master salt
}

func (k *sdesKey) attr() string {
	return fmt.Sprintf("a=crypto:%d %s inline:%s", k.tag, k.suite.name, base64.StdEncoding.EncodeToString(k.key))
}

func keyLen(s suite) int {
	k, _ := s.profile.KeyLen()
	salt, _ := s.profile.SaltLen()
	return k + salt
}

// parseCrypto reads an a=crypto value: "TAG SUITE inline:KEY[|LIFETIME]".
// A line the gateway cannot honour is refused: an unknown suite, several
// keys or an MKI (it keeps one key a direction), or session parameters
// (such as UNENCRYPTED_SRTP or a key derivation rate).
func parseCrypto(v string) (sdesKey, error) {
	f := strings.Fields(v)
	if len(f) != 3 {
		return sdesKey{}, errors.New("a=crypto: want a tag, a suite and one key, no session parameters")
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 || tag > 999999999 || len(f[0]) > 10 {
		return sdesKey{}, fmt.Errorf("a=crypto tag %q", f[0])
	}
	s, ok := suiteNamed(f[1])
	if !ok {
		return sdesKey{}, fmt.Errorf("a=crypto suite %q is not one the gateway speaks", f[1])
	}
	inline, ok := strings.CutPrefix(f[2], "inline:")
	if !ok || strings.Contains(inline, ";") {
		return sdesKey{}, errors.New("a=crypto: want one inline key")
	}
	b64, rest, _ := strings.Cut(inline, "|")
	if strings.Contains(rest, ":") || strings.Count(rest, "|") > 0 {
		return sdesKey{}, errors.New("a=crypto: an MKI is not supported")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		if key, err = base64.RawStdEncoding.DecodeString(b64); err != nil {
			return sdesKey{}, fmt.Errorf("a=crypto key: %w", err)
		}
	}
	if len(key) != keyLen(s) {
		return sdesKey{}, fmt.Errorf("a=crypto key for %s is %d bytes, want %d", s.name, len(key), keyLen(s))
	}
	return sdesKey{tag: tag, suite: s, key: key}, nil
}

// streamSDES reads a media line's protocol and keys: the first a=crypto
// line the gateway can honour (the offerer lists them in its order). An
// RTP/SAVP line without one cannot be used; RTP/AVP with one is SDES
// "best effort", taken as offered. Other protocols are not the gateway's.
func streamSDES(m *sdp.MediaDescription) (proto string, key *sdesKey, ok bool) {
	proto = strings.Join(m.MediaName.Protos, "/")
	if proto != protoAVP && proto != protoSAVP {
		return proto, nil, false
	}
	for _, a := range m.Attributes {
		if a.Key != "crypto" {
			continue
		}
		if k, err := parseCrypto(a.Value); err == nil {
			return proto, &k, true
		}
	}
	return proto, nil, proto == protoAVP
}

func newKey(tag int, s suite) (*sdesKey, error) {
	k := &sdesKey{tag: tag, suite: s, key: make([]byte, keyLen(s))}
	if _, err := rand.Read(k.key); err != nil {
		return nil, fmt.Errorf("making an SRTP key: %w", err)
	}
	return k, nil
}

// sdesMedia is what an m-line of the gateway's SDP gets for SRTP.
type sdesMedia struct {
	savp  bool
	attrs []string
}

// withSDES adds the gateway's a=crypto lines to its SDP body, each m-line
// by its index in lines, turning RTP/AVP into RTP/SAVP where asked.
func withSDES(body []byte, lines map[int]sdesMedia) []byte {
	if len(lines) == 0 {
		return body
	}
	var b strings.Builder
	idx := -1
	var pending []string
	flush := func() {
		for _, a := range pending {
			b.WriteString(a + "\r\n")
		}
		pending = nil
	}
	for _, l := range strings.SplitAfter(string(body), "\r\n") {
		if strings.HasPrefix(l, "m=") {
			flush()
			idx++
			if sm, ok := lines[idx]; ok {
				if sm.savp {
					l = strings.Replace(l, " "+protoAVP+" ", " "+protoSAVP+" ", 1)
				}
				pending = sm.attrs
			}
			b.WriteString(l)
			continue
		}
		// Attributes come after a media line's i=, c=, b= and k= lines.
		if len(l) < 2 || !strings.Contains("icbk", l[:1]) || l[1] != '=' {
			flush()
		}
		b.WriteString(l)
	}
	flush()
	return []byte(b.String())
}

// answerLines are the a=crypto lines answering o: for each SRTP stream,
// the gateway's key under the phone's tag.
func answerLines(o *offer) map[int]sdesMedia {
	lines := map[int]sdesMedia{}
	for _, s := range []*stream{o.audio, o.video} {
		if s != nil && s.local != nil {
			lines[s.index] = sdesMedia{savp: s.savp, attrs: []string{s.local.attr()}}
		}
	}
	return lines
}

// answerSDES makes the gateway's key for each of o's SRTP streams, and
// warns when the phone's key came over signalling anyone can read.
func (c *sipCall) answerSDES(o *offer, transport string) error {
	for _, s := range []*stream{o.audio, o.video} {
		if s == nil || s.crypto == nil {
			continue
		}
		k, err := newKey(s.crypto.tag, s.crypto.suite)
		if err != nil {
			return err
		}
		s.local = k
		if !isTLS(transport) {
			c.log.Warn("SRTP key (a=crypto) offered over unencrypted SIP: anyone on the path can read it; register over TLS",
				"transport", transport, "media", s.kind)
		}
	}
	return nil
}

// sdesOffer is the gateway's a=crypto lines for its offers to TLS phones:
// one key per suite for audio and for video, made once a call.
type sdesOffer struct {
	keys map[string][]*sdesKey // by media kind
}

func newSDESOffer() (*sdesOffer, error) {
	o := &sdesOffer{keys: map[string][]*sdesKey{}}
	for _, kind := range []string{"audio", "video"} {
		for i, s := range suites[:3] { // AES-256 is offered by few and asked for by fewer
			k, err := newKey(i+1, s)
			if err != nil {
				return nil, err
			}
			o.keys[kind] = append(o.keys[kind], k)
		}
	}
	return o, nil
}

// lines are the offer's a=crypto lines; the gateway offers audio, then
// video.
func (o *sdesOffer) lines() map[int]sdesMedia {
	lines := map[int]sdesMedia{}
	for i, kind := range []string{"audio", "video"} {
		sm := sdesMedia{savp: true}
		for _, k := range o.keys[kind] {
			sm.attrs = append(sm.attrs, k.attr())
		}
		lines[i] = sm
	}
	return lines
}

var errSDESAnswer = errors.New("the answer to an SRTP offer has no key for one of ours")

// match pairs each stream of the phone's answer with the gateway's offered
// key of the tag it chose. With srtpOffered false (a plain offer) any key
// in the answer is ignored.
func (o *sdesOffer) match(a *offer, srtpOffered bool) error {
	for _, s := range []*stream{a.audio, a.video} {
		if s == nil {
			continue
		}
		if !srtpOffered || o == nil {
			s.crypto, s.savp = nil, false
			continue
		}
		if s.crypto == nil || !s.savp {
			return errSDESAnswer
		}
		for _, k := range o.keys[s.kind] {
			if k.tag == s.crypto.tag && k.suite == s.crypto.suite {
				s.local = k
			}
		}
		if s.local == nil {
			return errSDESAnswer
		}
	}
	return nil
}

// withOfferKeys is the gateway's offer body to a device: RTP/SAVP with keys to
// one registered over TLS, plain RTP/AVP to others (their signalling would
// show the keys to anyone on the path).
func (c *sipCall) withOfferKeys(body []byte, srtpOffer bool) ([]byte, error) {
	if !srtpOffer {
		return body, nil
	}
	if c.sdes == nil {
		o, err := newSDESOffer()
		if err != nil {
			return nil, err
		}
		c.sdes = o
	}
	return withSDES(body, c.sdes.lines()), nil
}

var errSDESChange = errors.New("a re-INVITE cannot turn SRTP on or off, or change its suite")

// reofferSDES answers a re-INVITE's keys with the gateway's own of the
// call: SRTP stays as first agreed, and a new key of the phone's is taken.
func (b *bridge) reofferSDES(o *offer) error {
	for _, l := range b.legs {
		s := o.audio
		if l.s.kind == "video" {
			s = o.video
		}
		if s == nil {
			continue
		}
		switch {
		case l.sec == nil && s.crypto == nil:
		case l.sec == nil || s.crypto == nil || s.crypto.suite != l.s.crypto.suite:
			return errSDESChange
		default:
			k := *l.s.local
			k.tag = s.crypto.tag
			s.local = &k
			if err := l.sec.rekeyIn(s.crypto); err != nil {
				return err
			}
		}
	}
	return nil
}

// plainAfterSDES rings again, with a plain RTP/AVP offer, a device that
// refused the gateway's SRTP offer as not acceptable (488): a phone on TLS
// without SRTP still takes the call. The refusal came over TLS, so no one
// on the path can force it. It reports whether the device rings again.
func (c *sipCall) plainAfterSDES(f *fork, code int) bool {
	if !f.sdes || code != sip.StatusNotAcceptableHere || c.cli != nil {
		return false
	}
	c.log.Info("SIP phone refused SRTP; offering it plain RTP", "contact", f.reg.Contact)
	if err := c.invite(f.reg, f.caller, false); err != nil {
		c.log.Info("ringing a SIP phone", "contact", f.reg.Contact, "err", err)
		return false
	}
	return true
}
