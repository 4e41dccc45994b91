package sipgw

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// The phone's stream as the gateway reports it: loss over a sequence
// number wrap, the fraction in each interval, a late packet, jitter, and
// LSR/DLSR from the phone's SR.
func TestReceivedReport(t *testing.T) {
	var r received
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	if _, ok := r.report(t0); ok {
		t.Fatal("a report block before any packet")
	}
	// 8 kHz, 20 ms packets: 65530 … 65535, 0 … 9, with 3 and 4 lost.
	// Packet 6 comes 10 ms late; the rest on time.
	seq, at := uint16(65530), t0
	for i := 0; i < 16; i++ {
		if seq != 3 && seq != 4 {
			when := at
			if seq == 6 {
				when = at.Add(10 * time.Millisecond)
			}
			r.add(&rtp.Header{SSRC: 0xfeed, SequenceNumber: seq, Timestamp: uint32(i * 160)}, when, 8000, true)
		}
		seq++
		at = at.Add(20 * time.Millisecond)
	}
	rr, ok := r.report(at)
	// Jitter: |D| is 80 units into packet 6 and 80 out of it, then 0 for
	// packets 8 and 9: 80/16 = 5, 5 + (80−5)/16 = 9.69, then ×15/16 twice
	// = 8.51.
	want := rtcp.ReceptionReport{SSRC: 0xfeed, FractionLost: 2 * 256 / 16, TotalLost: 2, LastSequenceNumber: 1<<16 + 9, Jitter: 8}
	if !ok || rr != want {
		t.Fatalf("report %+v, want %+v", rr, want)
	}
	if rr, _ := r.report(at); rr.FractionLost != 0 || rr.TotalLost != 2 {
		t.Errorf("an interval without packets: fraction %d, lost %d; want 0, 2", rr.FractionLost, rr.TotalLost)
	}
	// Packet 3 comes after all: one fewer lost, and no fraction below 0.
	r.add(&rtp.Header{SSRC: 0xfeed, SequenceNumber: 3, Timestamp: 6 * 160}, at, 8000, false)
	if rr, _ := r.report(at); rr.FractionLost != 0 || rr.TotalLost != 1 || rr.LastSequenceNumber != 1<<16+9 {
		t.Errorf("after a late packet: %+v; want fraction 0, lost 1, highest %d", rr, 1<<16+9)
	}

	// LSR and DLSR: another SSRC's SR is not the stream's.
	srAt := at.Add(time.Second)
	r.sender(&rtcp.SenderReport{SSRC: 0xbad, NTPTime: ntpTime(srAt)}, srAt)
	if rr, _ := r.report(srAt); rr.LastSenderReport != 0 || rr.Delay != 0 {
		t.Errorf("another SSRC's SR was taken: %+v", rr)
	}
	ntp := ntpTime(srAt)
	r.sender(&rtcp.SenderReport{SSRC: 0xfeed, NTPTime: ntp}, srAt)
	rr, _ = r.report(srAt.Add(1500 * time.Millisecond))
	if rr.LastSenderReport != uint32(ntp>>16) || rr.Delay != 3*65536/2 {
		t.Errorf("LSR %#x, DLSR %d; want %#x, %d", rr.LastSenderReport, rr.Delay, uint32(ntp>>16), 3*65536/2)
	}

	// A new SSRC starts again.
	r.add(&rtp.Header{SSRC: 0xcafe, SequenceNumber: 100}, srAt, 8000, true)
	if rr, _ := r.report(srAt); rr.SSRC != 0xcafe || rr.TotalLost != 0 || rr.LastSequenceNumber != 100 || rr.LastSenderReport != 0 {
		t.Errorf("after a new SSRC: %+v", rr)
	}
}

// The gateway's SR: its counts, the RTP time of now, and no SR once it
// has stopped sending.
func TestSentSenderInfo(t *testing.T) {
	var s sent
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	if _, ok := s.senderInfo(t0, 48000); ok {
		t.Fatal("an SR before any packet")
	}
	for i, n := range []int{10, 20, 30} {
		s.add(uint32(1000+i*960), n, t0)
	}
	s.addEvent(4) // a telephone event, its timestamp the event's start
	sr, ok := s.senderInfo(t0.Add(500*time.Millisecond), 48000)
	want := rtcp.SenderReport{NTPTime: ntpTime(t0.Add(500 * time.Millisecond)), RTPTime: 1000 + 2*960 + 24000, PacketCount: 4, OctetCount: 64}
	if !ok || sr.NTPTime != want.NTPTime || sr.RTPTime != want.RTPTime || sr.PacketCount != 4 || sr.OctetCount != 64 {
		t.Errorf("SR %+v, want %+v", sr, want)
	}
	if _, ok := s.senderInfo(t0.Add(2*reportInterval+time.Millisecond), 48000); ok {
		t.Error("an SR two intervals after the last packet")
	}
}

// The round-trip time from the phone's report: arrival − LSR − DLSR.
func TestHeardRTT(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	var h heard
	h.note(rtcp.ReceptionReport{SSRC: 1}, now)
	if h.hasRTT {
		t.Error("an RTT from a report without LSR")
	}
	lsr := uint32(ntpTime(now.Add(-3*time.Second)) >> 16)
	h.note(rtcp.ReceptionReport{SSRC: 1, LastSenderReport: lsr, Delay: 2 * 65536}, now)
	if d := h.rtt - time.Second; !h.hasRTT || d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("RTT %v, want 1s", h.rtt)
	}
}

func TestNTPTime(t *testing.T) {
	got := ntpTime(time.Date(1970, 1, 1, 0, 0, 1, 500_000_000, time.UTC))
	if want := uint64(2208988801)<<32 | 1<<31; got != want {
		t.Errorf("ntpTime %#x, want %#x", got, want)
	}
}

// A phone that does not multiplex sends its RTCP from its RTCP address:
// taken, as from its RTP source; a stranger's is not.
func TestPhoneRTCPSources(t *testing.T) {
	rtpAddr, rtcpAddr := mustAddrPort(t, "192.0.2.2:4000"), mustAddrPort(t, "192.0.2.2:4001")
	st := &counters{}
	s := &stream{kind: "audio", pt: 96, addr: rtpAddr, rtcp: rtcpAddr}
	l := &leg{s: s, ssrc: 0x5150_0000, to: rtpAddr, rtcpTo: rtcpAddr}
	b := &bridge{legs: []*leg{l}, stats: st}
	raw, err := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 7, Reports: []rtcp.ReceptionReport{{SSRC: 0x5150_0000, TotalLost: 3}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{"192.0.2.2:4000", "192.0.2.2:4001", "192.0.2.9:4001"} {
		b.phoneRTCP(datagram{b: raw, from: mustAddrPort(t, from)})
	}
	if st.rtcpFromSIP.Load() != 2 || st.rtpDropped.Load() != 1 {
		t.Errorf("%d reports taken, %d dropped; want 2 (RTP and RTCP source), 1 (a stranger's)", st.rtcpFromSIP.Load(), st.rtpDropped.Load())
	}
	if ls := b.legStats(); ls[0].PhoneLost != 3 {
		t.Errorf("the phone's report: %+v, want 3 lost", ls[0])
	}
}
