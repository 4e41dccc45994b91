package sipgw

import (
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/dialtone/dialtone/server/sipgw/g711"
)

// The static payload types of G.711 (RFC 3551), which the gateway offers
// under those numbers.
const (
	g711PCMU = g711.PayloadTypePCMU
	g711PCMA = g711.PayloadTypePCMA
)

// pickG711 returns the first G.711 format of an audio line, in the order
// the line lists them (the offerer's preference, RFC 3264 section 6.1): a
// payload type its rtpmap names PCMU or PCMA at 8000 Hz, or the static 0 or
// 8 without an rtpmap. It returns -1 when the line has none.
func pickG711(m *sdp.MediaDescription, rtpmaps map[string]string) (pt int, codec string) {
	for _, f := range m.MediaName.Formats {
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 || v > 127 {
			continue
		}
		enc, named := rtpmaps[f]
		if !named {
			switch v {
			case g711PCMU:
				return v, codecPCMU
			case g711PCMA:
				return v, codecPCMA
			}
			continue
		}
		name, rest, _ := strings.Cut(enc, "/")
		clock, channels, _ := strings.Cut(rest, "/")
		if clock != "8000" || channels != "" && channels != "1" {
			continue
		}
		switch {
		case strings.EqualFold(name, codecPCMU):
			return v, codecPCMU
		case strings.EqualFold(name, codecPCMA):
			return v, codecPCMA
		}
	}
	return -1, ""
}

func (s *stream) isG711() bool { return s.codec == codecPCMU || s.codec == codecPCMA }

// transcodes reports whether the gateway can take G.711.
func (g *Gateway) transcodes() bool { return g.cfg.Opus != nil }

// parseSDP reads the SIP side's SDP as the gateway can take it: without
// G.711 when it cannot transcode, so that an audio line with G.711 only is
// refused (and an offer of nothing else is errNoCodec).
func (g *Gateway) parseSDP(body []byte) (*offer, error) {
	o, err := parseSDP(body)
	if err != nil || g.transcodes() || o.audio == nil || !o.audio.isG711() {
		return o, err
	}
	o.audio = nil
	if o.video == nil {
		return nil, errNoCodec
	}
	return o, nil
}

// noCodecWarning is the Warning header of a 488.
func (g *Gateway) noCodecWarning() string {
	if g.transcodes() {
		return `399 dialtone "Opus, G.711 (PCMU, PCMA) or VP8 on RTP/AVP or RTP/SAVP"`
	}
	return `399 dialtone "Opus or VP8 on RTP/AVP or RTP/SAVP; this build has no Opus for transcoding G.711"`
}

// keepAgreed makes a re-INVITE's streams name the codecs the bridge agreed
// first, which it goes on using: a phone that offers Opus beside G.711 on
// hold is answered G.711, not told of a switch the bridge does not make.
func (b *bridge) keepAgreed(o *offer) {
	for _, l := range b.legs {
		s := o.audio
		if l.s.kind == "video" {
			s = o.video
		}
		if s != nil {
			s.pt, s.codec = l.s.pt, l.s.codec
		}
	}
}
