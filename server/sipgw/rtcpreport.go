package sipgw

import (
	"crypto/rand"
	"encoding/hex"
	"math"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// reportInterval is how often the gateway reports to the phone: RFC 3550's
// 5 s minimum (section 6.2), each wait drawn from 0.5 to 1.5 times it
// (section 6.3.1), so that the calls' reports do not fall into step.
//
// The statistics are the gateway's own rather than pion/interceptor's
// report package: its receiver ticks at a fixed interval, sends one RR a
// stream under an SSRC of its own, and cannot be asked for a report, so
// neither a randomised interval nor one compound SR (with the report of
// the phone's stream) and SDES per leg can be built from it.
const reportInterval = 5 * time.Second

// clock is the RTP clock of a leg's streams, the phone's and the
// gateway's.
func (s *stream) clock() uint32 {
	switch {
	case s.kind == "video":
		return 90000
	case s.isG711():
		return 8000
	}
	return 48000
}

// received is what the gateway knows of the phone's stream on a leg: RFC
// 3550 appendix A.1 (sequence numbers), A.3 (loss) and A.8 (jitter), and
// the phone's last SR for the report's LSR and DLSR.
type received struct {
	mu sync.Mutex
	rxState
}

type rxState struct {
	ssrc                     uint32
	started                  bool
	base, max                uint16
	cycles                   uint32
	count                    uint32
	expectedPrior, recvPrior uint32
	start                    time.Time // arrival times count from here
	transit                  int64
	haveTransit              bool
	jitter                   float64 // in timestamp units
	lastSR                   uint32  // middle 32 bits of the SR's NTP time
	lastSRAt                 time.Time
}

// add counts one of the phone's packets, arrived at now; clock is its RTP
// clock. Telephone events share the audio's numbers but repeat one
// timestamp, so they count without touching the jitter (timed false).
// Another SSRC starts the count again.
func (r *received) add(h *rtp.Header, now time.Time, clock uint32, timed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started || h.SSRC != r.ssrc {
		r.rxState = rxState{ssrc: h.SSRC, started: true, base: h.SequenceNumber, max: h.SequenceNumber, start: now}
	} else if d := int16(h.SequenceNumber - r.max); d > 0 {
		if h.SequenceNumber < r.max {
			r.cycles += 1 << 16
		}
		r.max = h.SequenceNumber
	}
	r.count++
	if !timed {
		return
	}
	arrival := int64(now.Sub(r.start).Seconds() * float64(clock))
	transit := arrival - int64(h.Timestamp)
	if r.haveTransit {
		d := math.Abs(float64(int32(transit - r.transit)))
		r.jitter += (d - r.jitter) / 16
	}
	r.transit, r.haveTransit = transit, true
}

// sender notes the phone's SR, for the next report's LSR and DLSR.
func (r *received) sender(sr *rtcp.SenderReport, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started && sr.SSRC == r.ssrc {
		r.lastSR, r.lastSRAt = uint32(sr.NTPTime>>16), now
	}
}

// report is the reception report block of the phone's stream at now, and
// false before any packet.
func (r *received) report(now time.Time) (rtcp.ReceptionReport, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started {
		return rtcp.ReceptionReport{}, false
	}
	ext := r.cycles + uint32(r.max)
	expected := ext - uint32(r.base) + 1
	lost := int64(expected) - int64(r.count)
	lost = min(max(lost, -(1<<23)), 1<<23-1) // 24 bits, signed
	expInterval, recvInterval := expected-r.expectedPrior, r.count-r.recvPrior
	r.expectedPrior, r.recvPrior = expected, r.count
	var fraction uint8
	if lostInterval := int64(expInterval) - int64(recvInterval); expInterval > 0 && lostInterval > 0 {
		fraction = uint8(lostInterval << 8 / int64(expInterval))
	}
	rr := rtcp.ReceptionReport{SSRC: r.ssrc, FractionLost: fraction, TotalLost: uint32(lost) & 0xffffff,
		LastSequenceNumber: ext, Jitter: uint32(r.jitter)}
	if r.lastSR != 0 {
		rr.LastSenderReport = r.lastSR
		rr.Delay = uint32(now.Sub(r.lastSRAt) * 65536 / time.Second)
	}
	return rr, true
}

// sent is what the gateway sent the phone on a leg, for its SR.
type sent struct {
	mu              sync.Mutex
	packets, octets uint32
	ts              uint32 // the last packet's timestamp
	at              time.Time
}

// add counts one RTP packet sent to the phone: its timestamp and the
// length of its payload.
func (s *sent) add(ts uint32, payload int, now time.Time) {
	s.mu.Lock()
	s.packets++
	s.octets += uint32(payload)
	s.ts, s.at = ts, now
	s.mu.Unlock()
}

// addEvent counts a telephone event: its timestamp is the event's start,
// repeated, so it does not move the SR's RTP time.
func (s *sent) addEvent(payload int) {
	s.mu.Lock()
	s.packets++
	s.octets += uint32(payload)
	s.mu.Unlock()
}

// addRaw counts a packet the gateway built itself (raw, before SRTP).
func (s *sent) addRaw(raw []byte, now time.Time) {
	var h rtp.Header
	if n, err := h.Unmarshal(raw); err == nil {
		s.add(h.Timestamp, len(raw)-n, now)
	}
}

// senderInfo is the SR's sender part at now, and false while the gateway
// is no sender: it has not sent in the last two intervals (RFC 3550
// section 6.3.8).
func (s *sent) senderInfo(now time.Time, clock uint32) (rtcp.SenderReport, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.packets == 0 || now.Sub(s.at) > 2*reportInterval {
		return rtcp.SenderReport{}, false
	}
	// The RTP time of now, on the last packet's clock.
	ts := s.ts + uint32(int64(now.Sub(s.at).Seconds()*float64(clock)))
	return rtcp.SenderReport{NTPTime: ntpTime(now), RTPTime: ts, PacketCount: s.packets, OctetCount: s.octets}, true
}

// heard is the last report block the phone sent about a leg's stream, and
// the round-trip time it gives.
type heard struct {
	mu     sync.Mutex
	block  rtcp.ReceptionReport
	rtt    time.Duration
	hasRTT bool
	got    bool
}

func (h *heard) note(rr rtcp.ReceptionReport, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.block, h.got = rr, true
	if rr.LastSenderReport != 0 {
		// RFC 3550 section 6.4.1: arrival − LSR − DLSR, in 1/65536 s.
		d := uint32(ntpTime(now)>>16) - rr.LastSenderReport - rr.Delay
		if int32(d) >= 0 {
			h.rtt, h.hasRTT = time.Duration(d)*time.Second/65536, true
		}
	}
}

// ntpTime is t as a 64-bit NTP timestamp (RFC 3550 section 4).
func ntpTime(t time.Time) uint64 {
	const epoch = 2208988800 // 1900 to 1970, in seconds
	s := uint64(t.Unix()) + epoch
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return s<<32 | frac
}

// newCNAME is the bridge's RTCP CNAME: random, one a call (RFC 7022).
func newCNAME() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// nextReport is the wait before the next report.
func (b *bridge) nextReport() time.Duration {
	every := b.every
	if every == 0 {
		every = reportInterval
	}
	return time.Duration(float64(every) * (0.5 + mrand.Float64()))
}

// reports sends the phone each leg's report until the bridge closes, and
// a BYE then.
func (b *bridge) reports() {
	defer b.wg.Done()
	t := time.NewTimer(b.nextReport())
	defer t.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-t.C:
		}
		now := time.Now()
		for _, l := range b.legs {
			b.sendReport(l, now, false)
		}
		t.Reset(b.nextReport())
	}
}

// sendReport sends the phone a leg's compound RTCP packet: an SR while the
// gateway sends on it, else an RR, with the block of the phone's stream,
// then SDES CNAME, and a BYE when the bridge closes.
func (b *bridge) sendReport(l *leg, now time.Time, bye bool) {
	_, to := l.target()
	if !to.IsValid() {
		return
	}
	var blocks []rtcp.ReceptionReport
	if rr, ok := l.rx.report(now); ok {
		blocks = append(blocks, rr)
	}
	var first rtcp.Packet = &rtcp.ReceiverReport{SSRC: l.ssrc, Reports: blocks}
	if sr, ok := l.tx.senderInfo(now, l.s.clock()); ok {
		sr.SSRC, sr.Reports = l.ssrc, blocks
		first = &sr
	}
	pkts := []rtcp.Packet{first, &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
		Source: l.ssrc, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: b.cname}}}}}}
	if bye {
		pkts = append(pkts, &rtcp.Goodbye{Sources: []uint32{l.ssrc}})
	}
	raw, err := rtcp.Marshal(pkts)
	if err == nil {
		raw, err = l.sealRTCP(raw)
	}
	if err != nil {
		b.log.Debug("building a report for the phone", "err", err)
		return
	}
	if _, err := b.conn.WriteToUDPAddrPort(raw, to); err != nil {
		b.log.Debug("sending the phone a report", "err", err)
		return
	}
	b.stats.rtcpToSIP.Add(1)
}

// phoneReport takes the phone's SR or RR: its SR for the gateway's LSR and
// DLSR, its blocks about the gateway's streams for the call's loss and
// round-trip time.
func (b *bridge) phoneReport(p rtcp.Packet, now time.Time) {
	var blocks []rtcp.ReceptionReport
	switch p := p.(type) {
	case *rtcp.SenderReport:
		for _, l := range b.legs {
			l.rx.sender(p, now)
		}
		blocks = p.Reports
	case *rtcp.ReceiverReport:
		blocks = p.Reports
	default:
		return
	}
	b.stats.rtcpFromSIP.Add(1)
	for _, rr := range blocks {
		for _, l := range b.legs {
			if rr.SSRC == l.ssrc {
				l.phone.note(rr, now)
			}
		}
	}
}

// LegStats is what RTCP tells of one medium of a bridged SIP call.
type LegStats struct {
	Kind string // audio or video
	// Of the phone's stream, as the gateway counts it: packets lost
	// (expected less received) and jitter.
	Lost   int64
	Jitter time.Duration
	// Of the gateway's stream, as the phone's last report gives it: the
	// fraction lost (0–1), packets lost in all, and the round-trip time
	// (zero until a report echoes one of the gateway's SRs).
	PhoneFractionLost float64
	PhoneLost         int64
	RTT               time.Duration
}

// legStats is what RTCP tells of each leg now.
func (b *bridge) legStats() []LegStats {
	var out []LegStats
	for _, l := range b.legs {
		s := LegStats{Kind: l.s.kind}
		l.rx.mu.Lock()
		if l.rx.started {
			s.Lost = int64(l.rx.cycles+uint32(l.rx.max)-uint32(l.rx.base)+1) - int64(l.rx.count)
			s.Jitter = time.Duration(l.rx.jitter * float64(time.Second) / float64(l.s.clock()))
		}
		l.rx.mu.Unlock()
		l.phone.mu.Lock()
		if l.phone.got {
			s.PhoneFractionLost = float64(l.phone.block.FractionLost) / 256
			s.PhoneLost = int64(int32(l.phone.block.TotalLost<<8) >> 8)
			s.RTT = l.phone.rtt
		}
		l.phone.mu.Unlock()
		out = append(out, s)
	}
	return out
}
