package sipgw

import (
	"bufio"
	"bytes"
	"context"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/dtmf"
)

// Keypad tones cross the bridge as RFC 4733 telephone events both ways: the
// dialtone party sends them in-band on its audio (telephone-event/48000, as
// browsers do), the gateway passes them to the phone with the phone's
// payload type and its clock's durations, and the phone's events — RTP, or
// SIP INFO application/dtmf-relay — go to the dialtone party the same way.

// Payload types the gateway offers the SIP side for telephone-event: at
// Opus's clock, and at the telephone network's.
const (
	offerTonePT   = 101
	offerTone8kPT = 100
)

// trackLocal is a leg's track toward the dialtone party.
type trackLocal interface {
	webrtc.TrackLocal
	WriteRTP(p *rtp.Packet) error
}

// toneState is the bridge's part in passing keys to the dialtone party.
type toneState struct {
	track *dtmf.Track // the audio leg's: writes events beside the phone's audio

	mu       sync.Mutex
	shift    uint16 // sequence numbers the gateway put into the phone's stream
	lastSeq  uint16 // the last one sent on the audio track
	lastTS   uint32
	started  bool
	infoTS   uint32 // the last timestamp an INFO's event took
	infoSent bool
}

// newTrack makes a leg's track toward the dialtone party: the audio leg's
// also carries telephone events.
func (b *bridge) newTrack(codec webrtc.RTPCodecCapability, kind string) (trackLocal, error) {
	if kind != "audio" {
		return webrtc.NewTrackLocalStaticRTP(codec, "sip-"+kind, "sip")
	}
	t, err := dtmf.NewTrack(codec, "sip-"+kind, "sip")
	if err != nil {
		return nil, err
	}
	b.tones.track = t
	return t, nil
}

// toneFormat finds an audio line's telephone-event: the one at the audio
// codec's clock rate when offered, else the first (8000 Hz).
func toneFormat(m *sdp.MediaDescription, clock uint32) (pt uint8, rate uint32) {
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		n, enc, _ := strings.Cut(a.Value, " ")
		name, r, _ := strings.Cut(enc, "/")
		v, err1 := strconv.Atoi(n)
		hz, err2 := strconv.ParseUint(r, 10, 32)
		if err1 != nil || err2 != nil || v < 0 || v > 127 || hz == 0 || !strings.EqualFold(name, "telephone-event") || !inFormats(m, n) {
			continue
		}
		if pt == 0 || uint32(hz) == clock && rate != clock {
			pt, rate = uint8(v), uint32(hz)
		}
	}
	return pt, rate
}

// toneFormats is what an audio m-line lists for telephone-event after its
// codec: both rates in an offer, the phone's in an answer.
func toneFormats(s *stream, kind string) string {
	switch {
	case kind != "audio":
		return ""
	case s == nil:
		return " " + strconv.Itoa(offerTonePT) + " " + strconv.Itoa(offerTone8kPT)
	case s.tonePT != 0:
		return " " + strconv.Itoa(int(s.tonePT))
	}
	return ""
}

// toneLines are the rtpmap and fmtp lines of toneFormats.
func toneLines(s *stream, kind string) string {
	line := func(pt uint8, rate uint32) string {
		return "a=rtpmap:" + strconv.Itoa(int(pt)) + " telephone-event/" + strconv.Itoa(int(rate)) + "\r\n" +
			"a=fmtp:" + strconv.Itoa(int(pt)) + " " + dtmf.FmtpLine + "\r\n"
	}
	switch {
	case kind != "audio":
		return ""
	case s == nil:
		return line(offerTonePT, 48000) + line(offerTone8kPT, 8000)
	case s.tonePT != 0:
		return line(s.tonePT, s.toneRate)
	}
	return ""
}

// scaleDuration moves an event payload's duration from one clock to
// another, in place.
func scaleDuration(payload []byte, from, to uint32) {
	if len(payload) < dtmf.PayloadSize || from == to || from == 0 {
		return
	}
	d := uint64(payload[2])<<8 | uint64(payload[3])
	d = min(d*uint64(to)/uint64(from), 0xffff)
	payload[2], payload[3] = byte(d>>8), byte(d)
}

// audioLeg returns the audio leg, or nil.
func (b *bridge) audioLeg() *leg {
	for _, l := range b.legs {
		if l.s.kind == "audio" {
			return l
		}
	}
	return nil
}

// toneFromPhone passes the phone's telephone-event packet to the dialtone
// party, on its audio stream; it reports whether pkt was one (taken or
// dropped).
func (b *bridge) toneFromPhone(pkt *rtp.Packet, from netip.AddrPort) bool {
	l := b.audioLeg()
	if l == nil || l.s.tonePT == 0 || pkt.PayloadType != l.s.tonePT || l.s.tonePT == l.s.pt {
		return false
	}
	rate, ok := b.tones.track.EventRate()
	if !l.accept(from) || !ok {
		b.log.Debug("dropping a SIP telephone event", "from", from, "negotiated", ok)
		b.stats.rtpDropped.Add(1)
		return true
	}
	l.rx.add(&pkt.Header, time.Now(), l.s.clock(), false)
	ev, err := dtmf.Parse(pkt.Payload)
	if err != nil {
		b.stats.rtpDropped.Add(1)
		return true
	}
	payload := ev.Marshal(nil)
	scaleDuration(payload, l.s.toneRate, rate)
	ev, _ = dtmf.Parse(payload)
	t := &b.tones
	t.mu.Lock()
	defer t.mu.Unlock()
	seq, ts := pkt.SequenceNumber, pkt.Timestamp
	if l.tc != nil {
		// A G.711 phone's: the audio toward the party is the transcoder's
		// stream, with its own numbers and clock.
		seq, ts = l.tc.toOpus.eventPlace(pkt.Timestamp)
	}
	seq += t.shift
	t.lastSeq, t.lastTS, t.started = seq, ts, true
	if err := t.track.WriteEvent(rtp.Header{SequenceNumber: seq}, dtmf.Packet{Timestamp: ts, Marker: pkt.Marker, Event: ev}); err != nil {
		b.log.Debug("passing a telephone event on", "err", err)
		return true
	}
	b.stats.rtpFromSIP.Add(1)
	return true
}

// renumber gives the phone's audio packet its place after the events the
// gateway put into the stream (SIP INFO's).
func (b *bridge) renumber(l *leg, pkt *rtp.Packet) {
	if l.s.kind != "audio" {
		return
	}
	t := &b.tones
	t.mu.Lock()
	pkt.SequenceNumber += t.shift
	t.lastSeq, t.lastTS, t.started = pkt.SequenceNumber, pkt.Timestamp, true
	t.mu.Unlock()
}

// infoToneLength is an INFO's event length when it names none.
const infoToneLength = 160 // ms

// toneFromInfo puts a key the phone sent by SIP INFO into the audio
// stream toward the dialtone party: an event already over, so its three
// end packets, at once.
func (b *bridge) toneFromInfo(digit byte, ms int) {
	if b == nil {
		return // not bridged yet
	}
	code, err := dtmf.Code(digit)
	if err != nil || b.audioLeg() == nil || b.tones.track == nil {
		return
	}
	rate, ok := b.tones.track.EventRate()
	if !ok {
		b.log.Debug("a SIP INFO key for a dialtone party that takes no telephone events")
		return
	}
	t := &b.tones
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.started {
		t.lastSeq, t.lastTS, t.started = uint16(rand.Uint32()), rand.Uint32(), true
	}
	// Each event needs its own timestamp: neither the phone's last event
	// nor an INFO before the phone's next packet may read as this one.
	ts := t.lastTS + 1
	if t.infoSent && int32(ts-t.infoTS) <= 0 {
		ts = t.infoTS + 1
	}
	t.infoTS, t.infoSent = ts, true
	ev := dtmf.Event{Code: code, End: true, Volume: dtmf.Volume, Duration: uint16(min(ms*int(rate)/1000, 0xffff))}
	for i := 0; i < 3; i++ {
		t.lastSeq++
		t.shift++
		if err := t.track.WriteEvent(rtp.Header{SequenceNumber: t.lastSeq}, dtmf.Packet{Timestamp: ts, Marker: i == 0, Event: ev}); err != nil {
			b.log.Debug("passing a SIP INFO key on", "err", err)
		}
	}
}

// toneToPhone passes the dialtone party's telephone-event packet to the
// phone, with the phone's payload type and clock; it reports whether pkt
// was one (sent or dropped: a phone that took no telephone-event gets
// none, rather than a packet it would play as sound).
func (b *bridge) toneToPhone(l *leg, codec webrtc.RTPCodecParameters, pkt *rtp.Packet) bool {
	if l.s.kind != "audio" || !dtmf.IsEvent(codec) {
		return false
	}
	if l.s.tonePT == 0 {
		b.keyByInfo(l, codec.ClockRate, pkt)
		return true
	}
	if l.held.Load() || len(pkt.Payload) < dtmf.PayloadSize {
		return true
	}
	payload := append([]byte(nil), pkt.Payload[:dtmf.PayloadSize]...)
	scaleDuration(payload, codec.ClockRate, l.s.toneRate)
	h := pkt.Header
	h.Extension, h.Extensions, h.Padding = false, nil, false
	h.PayloadType, h.SSRC = l.s.tonePT, l.ssrc
	if l.tc != nil {
		h.SequenceNumber, h.Timestamp = l.tc.toG711.eventPlace(pkt.Timestamp)
	}
	raw, err := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
	if err == nil {
		l.tx.addEvent(len(payload))
		raw, err = l.sealRTP(raw)
	}
	if err != nil {
		return true
	}
	to, _ := l.target()
	if _, err := b.conn.WriteToUDPAddrPort(raw, to); err != nil {
		b.log.Debug("sending a telephone event to the phone", "err", err)
		return true
	}
	b.stats.rtpToSIP.Add(1)
	return true
}

// keyByInfo hands a phone that took no telephone-event the key of an
// event once it ends (its first end packet; the other two repeat it), for
// a SIP INFO.
func (b *bridge) keyByInfo(l *leg, rate uint32, pkt *rtp.Packet) {
	ev, err := dtmf.Parse(pkt.Payload)
	if err != nil || !ev.End || l.held.Load() || b.keyOut == nil || rate == 0 ||
		l.keySent && l.lastKey == pkt.Timestamp {
		return
	}
	l.lastKey, l.keySent = pkt.Timestamp, true
	if ev.Code > 15 {
		return // flash, and codes that are no key
	}
	b.keyOut(dtmf.Digit(ev.Code), max(int(uint64(ev.Duration)*1000/uint64(rate)), 1))
}

// maxInfoBody bounds the dtmf-relay body read.
const maxInfoBody = 1024

// infoTone reads a SIP INFO's key: application/dtmf-relay ("Signal=5",
// "Duration=160") or application/dtmf (the key alone). ok is false for
// another INFO.
func infoTone(req *sip.Request) (digit byte, ms int, ok bool) {
	ct := req.ContentType()
	body := req.Body()
	if ct == nil || len(body) > maxInfoBody {
		return 0, 0, false
	}
	mime, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(ct.Value())), ";")
	ms = infoToneLength
	switch strings.TrimSpace(mime) {
	case "application/dtmf":
		s := strings.TrimSpace(string(body))
		if len(s) != 1 {
			return 0, 0, false
		}
		digit = s[0]
	case "application/dtmf-relay":
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			k, v, found := strings.Cut(sc.Text(), "=")
			if !found {
				continue
			}
			v = strings.TrimSpace(v)
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "signal":
				if len(v) == 1 {
					digit = v[0]
				} else if n, err := strconv.Atoi(v); err == nil && n >= 10 && n <= 15 {
					digit = dtmf.Digits[n] // "Signal=11" for #, as some phones send
				}
			case "duration":
				if n, err := strconv.Atoi(v); err == nil && n > 0 {
					ms = min(n, 5000)
				}
			}
		}
	default:
		return 0, 0, false
	}
	if _, err := dtmf.Code(digit); err != nil {
		return 0, 0, false
	}
	return digit, ms, true
}

// infoTimeout bounds a key's INFO: the call's goroutine waits for its
// answer, as RFC 6086 has one INFO at a time in a dialog.
const infoTimeout = 2 * time.Second

// sendKey sends the phone a key by SIP INFO application/dtmf-relay, for a
// phone that took no telephone-event. A phone that refuses it is logged
// once a call, and gets no more.
func (c *sipCall) sendKey(digit byte, ms int) {
	if !c.answered || c.keysRefused {
		return
	}
	var req *sip.Request
	switch {
	case c.srv != nil:
		inv := c.srv.InviteRequest
		if inv.Contact() == nil {
			return
		}
		req = sip.NewRequest(sip.INFO, *inv.Contact().Address.Clone())
		if dest := inDialogDest(inv.Transport(), inv.Source()); dest != "" {
			req.SetTransport(inv.Transport())
			req.SetDestination(dest)
		}
	case c.cli != nil:
		req = sip.NewRequest(sip.INFO, remoteTarget(c.cli))
		if dest := inDialogDest(c.cli.InviteRequest.Transport(), c.cli.InviteResponse.Source()); dest != "" {
			req.SetDestination(dest)
		}
	default:
		return
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	req.SetBody([]byte("Signal=" + string(digit) + "\r\nDuration=" + strconv.Itoa(ms) + "\r\n"))
	ctx, cancel := context.WithTimeout(context.Background(), infoTimeout)
	defer cancel()
	var res *sip.Response
	var err error
	if c.srv != nil {
		res, err = c.srv.Do(ctx, req)
	} else {
		res, err = c.cli.Do(ctx, req)
	}
	if err == nil && res.IsSuccess() {
		return
	}
	c.keysRefused = true
	status := 0
	if res != nil {
		status = res.StatusCode
	}
	c.log.Warn("the SIP phone takes neither telephone-event nor keypad tones by INFO; dropping them", "status", status, "err", err)
}
