package sipgw

import (
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// reportPhone is a SIP phone on a UDP socket that speaks RTP and RTCP to
// a bridge, plain or SRTP.
type reportPhone struct {
	t        *testing.T
	conn     *net.UDPConn
	gw       netip.AddrPort
	out, in  *srtp.Context // nil for plain RTP
	rtp      int           // the gateway's RTP packets received
	cname    string
	lastTS   uint32
	reportAt time.Time // when the last report came
}

func (p *reportPhone) send(raw []byte, rtcpPkt bool) {
	p.t.Helper()
	var err error
	if p.out != nil {
		if rtcpPkt {
			raw, err = p.out.EncryptRTCP(nil, raw, nil)
		} else {
			raw, err = p.out.EncryptRTP(nil, raw, nil)
		}
		if err != nil {
			p.t.Fatal(err)
		}
	}
	if _, err := p.conn.WriteToUDPAddrPort(raw, p.gw); err != nil {
		p.t.Fatal(err)
	}
}

func (p *reportPhone) sendRTCP(pkts ...rtcp.Packet) {
	p.t.Helper()
	raw, err := rtcp.Marshal(pkts)
	if err != nil {
		p.t.Fatal(err)
	}
	p.send(raw, true)
}

// report reads until a compound report of the gateway's that ok takes
// arrives, counting the gateway's RTP on the way; every report must be an
// SR or RR of the gateway's SSRC, then SDES with one CNAME throughout.
func (p *reportPhone) report(what string, ok func(pkts []rtcp.Packet) bool) []rtcp.Packet {
	p.t.Helper()
	buf := make([]byte, 1500)
	p.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		n, err := p.conn.Read(buf)
		if err != nil {
			p.t.Fatalf("waiting for %s: %v", what, err)
		}
		raw := buf[:n]
		isRTCP := n > 1 && raw[1] >= 192 && raw[1] <= 223
		if p.in != nil {
			if isRTCP {
				raw, err = p.in.DecryptRTCP(nil, raw, nil)
			} else {
				raw, err = p.in.DecryptRTP(nil, raw, nil)
			}
			if err != nil {
				p.t.Fatalf("the gateway's packet does not open: %v", err)
			}
		}
		if !isRTCP {
			var h rtp.Header
			if _, err := h.Unmarshal(raw); err == nil && h.SSRC == gatewayVideoSSRC {
				p.rtp++
				p.lastTS = h.Timestamp
			}
			continue
		}
		pkts, err := rtcp.Unmarshal(raw)
		if err != nil {
			p.t.Fatalf("the gateway's RTCP: %v", err)
		}
		if _, pli := pkts[0].(*rtcp.PictureLossIndication); pli {
			continue
		}
		p.checkCompound(pkts)
		p.reportAt = time.Now()
		if ok(pkts) {
			return pkts
		}
	}
}

func (p *reportPhone) checkCompound(pkts []rtcp.Packet) {
	p.t.Helper()
	var ssrc uint32
	switch r := pkts[0].(type) {
	case *rtcp.SenderReport:
		ssrc = r.SSRC
	case *rtcp.ReceiverReport:
		ssrc = r.SSRC
	default:
		p.t.Fatalf("a compound report starts with %T", pkts[0])
	}
	sdes, ok := pkts[1%len(pkts)].(*rtcp.SourceDescription)
	if ssrc != gatewayVideoSSRC || !ok || len(sdes.Chunks) != 1 || sdes.Chunks[0].Source != ssrc ||
		len(sdes.Chunks[0].Items) == 0 || sdes.Chunks[0].Items[0].Type != rtcp.SDESCNAME {
		p.t.Fatalf("a report of SSRC %#x, %v; want %#x, then SDES with its CNAME", ssrc, pkts, gatewayVideoSSRC)
	}
	if cname := sdes.Chunks[0].Items[0].Text; p.cname == "" {
		p.cname = cname
	} else if cname != p.cname {
		p.t.Errorf("CNAME %q, earlier %q", cname, p.cname)
	}
}

const gatewayVideoSSRC = 0x5150_0001 // the video leg's, the second stream of an offer

// TestReportsBothWays runs a video bridge on real sockets with a fake phone,
// plain and SRTP: the gateway sends an RR for the phone's stream (loss
// after dropped packets, the highest sequence number across a wrap,
// jitter, LSR/DLSR from the phone's SR) while it sends nothing, an SR with
// its counts once the dialtone party's video flows, takes the round-trip
// time from the phone's answer to it, and ends with a BYE.
func TestReportsBothWays(t *testing.T) {
	for _, secure := range []bool{false, true} {
		name := "RTP"
		if secure {
			name = "SRTP"
		}
		t.Run(name, func(t *testing.T) { testReports(t, secure) })
	}
}

func testReports(t *testing.T, secure bool) {
	var st counters
	br := testBridge(t, &st)
	defer br.close()
	br.every = 50 * time.Millisecond
	conn := listenUDP(t)
	phoneAddr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	p := &reportPhone{t: t, conn: conn, gw: br.conn.LocalAddr().(*net.UDPAddr).AddrPort()}
	s := &stream{kind: "video", pt: 100, codec: "vp8", addr: phoneAddr, rtcp: phoneAddr, mux: true, send: true, recv: true}
	if secure {
		var su suite
		for _, x := range suites {
			if x.name == "AES_CM_128_HMAC_SHA1_80" {
				su = x
			}
		}
		phoneKey, err1 := newKey(1, su)
		ours, err2 := newKey(1, su)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		s.crypto, s.local, s.savp = phoneKey, ours, true
		p.out, _ = newContext(phoneKey, false)
		p.in, _ = newContext(ours, true)
	}
	// The video is the offer's second stream, as the gateway numbers them.
	if err := br.setLegs(&offer{lines: []string{"audio", "video"}, video: s}); err != nil {
		t.Fatal(err)
	}
	if err := br.addTracks(); err != nil {
		t.Fatal(err)
	}

	// The phone sends 100 packets from 65500, across the wrap, and 10 of
	// them (40 … 49) are lost; then its SR.
	const phoneSSRC = 0x7070
	for i := 0; i < 100; i++ {
		if i >= 40 && i < 50 {
			continue
		}
		raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 100, SequenceNumber: uint16(65500 + i),
			Timestamp: uint32(i * 3000), SSRC: phoneSSRC}, Payload: []byte{0x10, 0, 0, 0}}).Marshal()
		p.send(raw, false)
	}
	srSent := time.Now()
	phoneNTP := ntpTime(srSent)
	p.sendRTCP(&rtcp.SenderReport{SSRC: phoneSSRC, NTPTime: phoneNTP, RTPTime: 99 * 3000, PacketCount: 90, OctetCount: 360})
	block := func(pkts []rtcp.Packet) (rtcp.ReceptionReport, bool) {
		var rs []rtcp.ReceptionReport
		switch r := pkts[0].(type) {
		case *rtcp.SenderReport:
			rs = r.Reports
		case *rtcp.ReceiverReport:
			rs = r.Reports
		}
		if len(rs) != 1 {
			return rtcp.ReceptionReport{}, false
		}
		return rs[0], true
	}
	pkts := p.report("an RR with the phone's SR", func(pkts []rtcp.Packet) bool {
		b, ok := block(pkts)
		return ok && b.LastSenderReport != 0
	})
	arrived := time.Now()
	if _, ok := pkts[0].(*rtcp.ReceiverReport); !ok {
		t.Errorf("the gateway sent %T before it sent any RTP, want an RR", pkts[0])
	}
	b, _ := block(pkts)
	if b.SSRC != phoneSSRC || b.TotalLost != 10 || b.LastSequenceNumber != 65500+99 || b.Jitter == 0 || b.LastSenderReport != uint32(phoneNTP>>16) {
		t.Errorf("the gateway reports %+v; want SSRC %#x, 10 lost, highest %d, some jitter, LSR %#x",
			b, phoneSSRC, 65500+99, uint32(phoneNTP>>16))
	}
	// The phone's round trip from the gateway's DLSR: at most the time
	// since its SR, and as much less as the report took to come back.
	if held := time.Duration(b.Delay) * time.Second / 65536; held > arrived.Sub(srSent)+time.Millisecond {
		t.Errorf("DLSR %v, more than the %v since the phone's SR", held, arrived.Sub(srSent))
	}
	if rtt := time.Duration(uint32(ntpTime(arrived)>>16)-b.LastSenderReport-b.Delay) * time.Second / 65536; rtt > time.Second {
		t.Errorf("the phone's RTT from the gateway's report: %v", rtt)
	}

	// The dialtone party's video flows: 20 packets reach the phone, then
	// it stops; the gateway's SR counts what the phone got.
	peer, _, track := vp8Peer(t)
	connect(t, br.pc, peer)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			_ = track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i), Timestamp: uint32(i * 3000)}, Payload: []byte{0x10, 0, 0, 0, 0, 0}})
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	p.report("the party's video", func([]rtcp.Packet) bool {
		if p.rtp >= 20 && stop != nil {
			close(stop)
			wg.Wait()
			stop = nil
		}
		return stop == nil
	})
	var sr *rtcp.SenderReport
	p.report("an SR with the count of the phone's packets", func(pkts []rtcp.Packet) bool {
		sr, _ = pkts[0].(*rtcp.SenderReport)
		return sr != nil && int(sr.PacketCount) == p.rtp
	})
	srAt := p.reportAt
	if sr.OctetCount != uint32(6*p.rtp) {
		t.Errorf("SR octets %d, want %d for %d packets of 6", sr.OctetCount, 6*p.rtp, p.rtp)
	}
	if d := int64(sr.NTPTime>>32) - int64(ntpTime(srAt)>>32); d < -2 || d > 2 {
		t.Errorf("SR NTP time %d s off", d)
	}
	if d := int32(sr.RTPTime - p.lastTS); d < 0 || d > 2*90000 {
		t.Errorf("SR RTP time %d after the last packet's, want 0 … 2 s of 90 kHz", d)
	}
	if b, ok := block([]rtcp.Packet{sr}); !ok || b.SSRC != phoneSSRC || b.TotalLost != 10 {
		t.Errorf("the SR's block %+v, want the phone's stream with 10 lost", b)
	}

	// The phone answers the SR, claiming it 2 s older and held 1 s: the
	// gateway's round trip is then 1 s and what the packets took.
	held := uint32(time.Since(srAt) * 65536 / time.Second)
	p.sendRTCP(&rtcp.ReceiverReport{SSRC: phoneSSRC, Reports: []rtcp.ReceptionReport{{SSRC: gatewayVideoSSRC,
		FractionLost: 64, TotalLost: 7, LastSequenceNumber: 1234, LastSenderReport: uint32(sr.NTPTime>>16) - 2*65536, Delay: held + 65536}}},
		&rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: phoneSSRC, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "phone"}}}}})
	var ls LegStats
	waitFor(t, "the phone's RR", func() bool {
		ls = br.legStats()[0]
		return ls.PhoneLost != 0
	})
	if ls.PhoneLost != 7 || ls.PhoneFractionLost != 0.25 || ls.RTT < time.Second || ls.RTT > 1500*time.Millisecond {
		t.Errorf("from the phone's RR: %+v; want 7 lost, fraction 0.25, RTT 1 s and a little", ls)
	}
	if ls.Lost != 10 || ls.Jitter <= 0 {
		t.Errorf("the phone's stream: %d lost, jitter %v; want 10, above 0", ls.Lost, ls.Jitter)
	}
	if st.rtcpFromSIP.Load() != 2 || st.rtcpToSIP.Load() < 3 {
		t.Errorf("counters: %d reports from the phone, %d to it; want 2, 3 or more", st.rtcpFromSIP.Load(), st.rtcpToSIP.Load())
	}

	br.close()
	p.report("a BYE", func(pkts []rtcp.Packet) bool {
		bye, ok := pkts[len(pkts)-1].(*rtcp.Goodbye)
		return ok && len(bye.Sources) == 1 && bye.Sources[0] == gatewayVideoSSRC
	})
}
