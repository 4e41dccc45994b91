package sipgw

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// The SIP side's codecs: Opus and VP8 pass through to WebRTC untouched;
// G.711 (PCMU, PCMA) is transcoded to and from Opus (transcode.go).
const (
	codecOpus = "opus"
	codecVP8  = "VP8"
	codecPCMU = "PCMU"
	codecPCMA = "PCMA"
)

var (
	// errNoCodec is an offer with nothing the gateway takes (488): no
	// Opus, VP8 or G.711 (or G.711 only, in a build without Opus).
	errNoCodec = errors.New("no Opus, VP8 or G.711 on plain RTP")
	errBadSDP  = errors.New("malformed SDP")
)

// stream is one media line of the SIP side's SDP that the gateway uses.
type stream struct {
	kind  string // "audio" or "video"
	index int    // the m-line's position
	pt    uint8  // the payload type of the codec
	codec string // codecOpus, codecVP8, codecPCMU or codecPCMA
	fmtp  string // the codec's parameters, if any
	// addr is where the phone says it receives RTP; rtcp where it
	// receives RTCP (addr itself under rtcp-mux).
	addr, rtcp netip.AddrPort
	mux        bool
	send, recv bool     // the phone sends, receives
	ssrcs      []uint32 // the SSRCs the phone names for the line (RFC 5576)
	// tonePT and toneRate are the line's telephone-event (dtmf.go); 0
	// when it has none.
	tonePT   uint8
	toneRate uint32
	// SRTP (sdes.go): RTP/SAVP, the phone's key and the gateway's; no
	// keys is plain RTP.
	savp          bool
	crypto, local *sdesKey
}

// offer is what the gateway took from the SIP side's SDP.
type offer struct {
	lines   []string // the m-lines' media kinds, in order, for the answer
	audio   *stream
	video   *stream
	protos  []string // each m-line's protocol, for refused lines
	formats []string // and its formats
}

// maxSDP bounds the SDP body the gateway parses.
const maxSDP = 8 << 10

// parseSDP reads a SIP offer or answer. A line it cannot use (another
// codec, SRTP, a second audio line) is left out; errNoCodec when nothing
// is left.
func parseSDP(body []byte) (*offer, error) {
	if len(body) == 0 || len(body) > maxSDP {
		return nil, errBadSDP
	}
	var d sdp.SessionDescription
	if err := d.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadSDP, err)
	}
	var sessIP netip.Addr
	if d.ConnectionInformation != nil && d.ConnectionInformation.Address != nil {
		sessIP, _ = netip.ParseAddr(d.ConnectionInformation.Address.Address)
	}
	o := &offer{}
	for i, m := range d.MediaDescriptions {
		o.lines = append(o.lines, m.MediaName.Media)
		o.protos = append(o.protos, strings.Join(m.MediaName.Protos, "/"))
		f := strings.Join(m.MediaName.Formats, " ")
		if f == "" || strings.ContainsAny(f, "\r\n") {
			f = "0"
		}
		o.formats = append(o.formats, f)
		s := useStream(m, sessIP)
		if s == nil {
			continue
		}
		s.index = i
		switch {
		case s.kind == "audio" && o.audio == nil:
			o.audio = s
		case s.kind == "video" && o.video == nil:
			o.video = s
		}
	}
	if o.audio == nil && o.video == nil {
		return nil, errNoCodec
	}
	return o, nil
}

// useStream returns the stream of m the gateway passes through, or nil.
func useStream(m *sdp.MediaDescription, sessIP netip.Addr) *stream {
	kind := m.MediaName.Media
	want := map[string]string{"audio": codecOpus, "video": codecVP8}[kind]
	proto, key, ok := streamSDES(m)
	if want == "" || !ok || m.MediaName.Port.Value == 0 {
		return nil
	}
	ip := sessIP
	if m.ConnectionInformation != nil && m.ConnectionInformation.Address != nil {
		ip, _ = netip.ParseAddr(m.ConnectionInformation.Address.Address)
	}
	port := m.MediaName.Port.Value
	if !ip.IsValid() || port <= 0 || port > 65535 {
		return nil
	}
	s := &stream{kind: kind, addr: netip.AddrPortFrom(ip.Unmap(), uint16(port)), send: true, recv: true,
		savp: proto == protoSAVP, crypto: key}
	s.rtcp = netip.AddrPortFrom(s.addr.Addr(), uint16(min(port+1, 65535)))
	pt := -1
	var rtpmaps map[string]string
	for _, a := range m.Attributes {
		switch a.Key {
		case "rtpmap":
			n, enc, ok := strings.Cut(a.Value, " ")
			name, _, _ := strings.Cut(enc, "/")
			if v, err := strconv.Atoi(n); ok && err == nil && v >= 0 && v < 128 && strings.EqualFold(name, want) && pt < 0 &&
				inFormats(m, n) {
				pt = v
			}
			if kind == "audio" && len(rtpmaps) < 32 {
				if rtpmaps == nil {
					rtpmaps = make(map[string]string)
				}
				rtpmaps[n] = enc
			}
		case "rtcp-mux":
			s.mux = true
		case "ssrc":
			id, _, _ := strings.Cut(a.Value, " ")
			if v, err := strconv.ParseUint(id, 10, 32); err == nil && len(s.ssrcs) < 8 && !slices.Contains(s.ssrcs, uint32(v)) {
				s.ssrcs = append(s.ssrcs, uint32(v))
			}
		case "rtcp":
			f := strings.Fields(a.Value)
			if len(f) == 0 {
				continue
			}
			if p, err := strconv.Atoi(f[0]); err == nil && p > 0 && p < 65536 {
				s.rtcp = netip.AddrPortFrom(s.rtcp.Addr(), uint16(p))
			}
		case "sendonly":
			s.recv = false
		case "recvonly":
			s.send = false
		case "inactive":
			s.send, s.recv = false, false
		}
	}
	codec := want
	if pt < 0 && kind == "audio" {
		pt, codec = pickG711(m, rtpmaps)
	}
	if pt < 0 {
		return nil
	}
	s.pt, s.codec = uint8(pt), codec
	if kind == "audio" {
		// telephone-event at the audio's clock (RFC 4733 section 2.1).
		clock := uint32(48000)
		if s.isG711() {
			clock = 8000
		}
		s.tonePT, s.toneRate = toneFormat(m, clock)
	}
	for _, a := range m.Attributes {
		if a.Key == "fmtp" {
			if n, v, ok := strings.Cut(a.Value, " "); ok && n == strconv.Itoa(pt) {
				s.fmtp = v
			}
		}
	}
	if s.mux {
		s.rtcp = s.addr
	}
	return s
}

func inFormats(m *sdp.MediaDescription, pt string) bool {
	for _, f := range m.MediaName.Formats {
		if f == pt {
			return true
		}
	}
	return false
}

// Payload types the gateway offers to SIP phones.
const (
	offerOpusPT = 111
	offerVP8PT  = 96
)

// localSDP builds the gateway's SDP for the SIP side: both media on the
// one leased address (the lease has one port; the payload types tell audio
// from video), RTCP multiplexed on it. With answerTo it answers that offer
// line by line, refusing the lines it does not use; without it offers Opus
// and VP8 (offerSDP adds G.711).
func localSDP(at netip.AddrPort, sessID, version uint64, answerTo *offer) []byte {
	return writeSDP(at, sessID, version, answerTo, false)
}

// offerSDP is the gateway's offer: Opus and VP8 and, with g711, PCMU and
// PCMA after Opus, for a phone or trunk that has no Opus.
func offerSDP(at netip.AddrPort, sessID, version uint64, g711 bool) []byte {
	return writeSDP(at, sessID, version, nil, g711)
}

func writeSDP(at netip.AddrPort, sessID, version uint64, answerTo *offer, g711 bool) []byte {
	ip := at.Addr().Unmap()
	family := "IP4"
	if ip.Is6() {
		family = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=dialtone %d %d IN %s %s\r\ns=dialtone\r\nc=IN %s %s\r\nt=0 0\r\n", sessID, version, family, ip, family, ip)
	media := func(s *stream, kind string) {
		pt, codec := uint8(offerOpusPT), "opus/48000/2"
		if kind == "video" {
			pt, codec = offerVP8PT, "VP8/90000"
		}
		dir := "sendrecv"
		if s != nil {
			pt = s.pt
			switch {
			case s.send && !s.recv:
				dir = "recvonly"
			case !s.send && s.recv:
				dir = "sendonly"
			case !s.send && !s.recv:
				dir = "inactive"
			}
		}
		if s != nil && s.isG711() {
			codec = s.codec + "/8000"
		}
		g711Formats := ""
		if s == nil && kind == "audio" && g711 {
			g711Formats = fmt.Sprintf(" %d %d", g711PCMU, g711PCMA)
		}
		fmt.Fprintf(&b, "m=%s %d RTP/AVP %d%s%s\r\na=rtpmap:%d %s\r\n", kind, at.Port(), pt, g711Formats, toneFormats(s, kind), pt, codec)
		if g711Formats != "" {
			fmt.Fprintf(&b, "a=rtpmap:%d PCMU/8000\r\na=rtpmap:%d PCMA/8000\r\na=ptime:20\r\n", g711PCMU, g711PCMA)
		}
		switch {
		case s != nil && s.isG711():
			b.WriteString("a=ptime:20\r\n")
		case kind == "audio":
			fmt.Fprintf(&b, "a=fmtp:%d minptime=10;useinbandfec=1\r\n", pt)
		default:
			fmt.Fprintf(&b, "a=rtcp-fb:%d nack pli\r\na=rtcp-fb:%d ccm fir\r\n", pt, pt)
		}
		b.WriteString(toneLines(s, kind))
		fmt.Fprintf(&b, "a=rtcp-mux\r\na=rtcp:%d\r\na=%s\r\n", at.Port(), dir)
	}
	if answerTo == nil {
		media(nil, "audio")
		media(nil, "video")
		return []byte(b.String())
	}
	for i, kind := range answerTo.lines {
		switch {
		case answerTo.audio != nil && answerTo.audio.index == i:
			media(answerTo.audio, "audio")
		case answerTo.video != nil && answerTo.video.index == i:
			media(answerTo.video, "video")
		default:
			// RFC 3264 section 6: a refused line keeps its place, port 0.
			fmt.Fprintf(&b, "m=%s 0 %s %s\r\n", kind, answerTo.protos[i], answerTo.formats[i])
		}
	}
	return []byte(b.String())
}
