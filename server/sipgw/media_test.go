package sipgw

import (
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

func TestLatch(t *testing.T) {
	sdpAddr := netip.MustParseAddrPort("192.0.2.2:4000")
	nat := netip.MustParseAddrPort("198.51.100.7:61000")
	stranger := netip.MustParseAddrPort("203.0.113.66:5000")
	for _, tc := range []struct {
		name    string
		from    []netip.AddrPort
		want    []bool
		latched netip.AddrPort
	}{
		{"the SDP address", []netip.AddrPort{sdpAddr, sdpAddr}, []bool{true, true}, sdpAddr},
		{"behind NAT: latch onto the real source", []netip.AddrPort{nat, nat, nat}, []bool{true, true, true}, nat},
		{"a stranger after the phone is refused", []netip.AddrPort{nat, stranger, nat}, []bool{true, false, true}, nat},
		{"the SDP address takes over within the window", []netip.AddrPort{stranger, sdpAddr, stranger}, []bool{true, true, false}, sdpAddr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &leg{s: &stream{addr: sdpAddr, mux: true}, to: sdpAddr}
			for i, src := range tc.from {
				if got := l.accept(src); got != tc.want[i] {
					t.Errorf("packet %d from %s: accepted %v, want %v", i, src, got, tc.want[i])
				}
			}
			if to, rtcpTo := l.target(); to != tc.latched || rtcpTo != tc.latched {
				t.Errorf("sending to %s (RTCP %s), want %s", to, rtcpTo, tc.latched)
			}
		})
	}
}

func TestLatchWindowCloses(t *testing.T) {
	sdpAddr := netip.MustParseAddrPort("192.0.2.2:4000")
	phone := netip.MustParseAddrPort("198.51.100.7:61000")
	l := &leg{s: &stream{addr: sdpAddr}, to: sdpAddr}
	for range latchWindow {
		l.accept(phone)
	}
	if l.accept(sdpAddr) {
		t.Error("after the latch window the SDP address still moved the latch")
	}
	if !l.accept(phone) {
		t.Error("the latched phone refused after the window")
	}
}

// TestBridgeTakesOnlyThePhone sends RTP to a bridge on a real socket from
// the phone and from a stranger: only the phone's is passed on, and the
// stranger's is counted dropped.
func TestBridgeTakesOnlyThePhone(t *testing.T) {
	var st counters
	br, err := newBridge(netip.MustParseAddrPort("127.0.0.1:0"), slog.New(slog.DiscardHandler), &st,
		func(*webrtc.ICECandidate) {}, func(webrtc.PeerConnectionState) {})
	if err != nil {
		t.Fatal(err)
	}
	defer br.close()
	phone := listenUDP(t)
	stranger := listenUDP(t)
	phoneAddr := phone.LocalAddr().(*net.UDPAddr).AddrPort()
	o := &offer{audio: &stream{kind: "audio", pt: 96, codec: codecOpus, addr: phoneAddr, rtcp: phoneAddr, mux: true, send: true, recv: true}}
	if err := br.setLegs(o); err != nil {
		t.Fatal(err)
	}
	to := br.conn.LocalAddr().(*net.UDPAddr)
	send := func(c *net.UDPConn, seq uint16) {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, SSRC: 7}, Payload: []byte{1, 2, 3}}
		b, _ := p.Marshal()
		if _, err := c.WriteToUDP(b, to); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		send(phone, uint16(i))
	}
	waitCount(t, &st.rtpFromSIP, 5)
	for i := range 3 {
		send(stranger, uint16(100+i))
	}
	send(phone, 5)
	waitCount(t, &st.rtpFromSIP, 6)
	if n := st.rtpDropped.Load(); n != 3 {
		t.Errorf("%d packets dropped, want the stranger's 3", n)
	}
	if got, _ := br.legs[0].target(); got != phoneAddr {
		t.Errorf("the bridge sends to %s, want the phone at %s", got, phoneAddr)
	}
}

func listenUDP(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitCount waits for a counter the bridge's goroutine bumps.
func waitCount(t *testing.T, c interface{ Load() uint64 }, want uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("counter at %d, want %d", c.Load(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkPhonePacket is what each of the phone's RTP packets costs before
// it is written to the WebRTC track: parsing, finding its stream, latching,
// counting it for the gateway's reports.
func BenchmarkPhonePacket(b *testing.B) {
	src := netip.MustParseAddrPort("192.0.2.2:4000")
	br := &bridge{legs: []*leg{
		{s: &stream{kind: "audio", pt: 96, addr: src, ssrcs: []uint32{1}}, to: src},
		{s: &stream{kind: "video", pt: 96, addr: netip.MustParseAddrPort("192.0.2.2:4002"), ssrcs: []uint32{2}}},
	}}
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SSRC: 2}, Payload: make([]byte, 1100)}
	raw, _ := p.Marshal()
	var pkt rtp.Packet
	b.ReportAllocs()
	for b.Loop() {
		if pkt.Unmarshal(raw) != nil {
			b.Fatal("unmarshal")
		}
		l := br.legFor(&pkt, src)
		if l == nil {
			b.Fatal("no leg")
		}
		l.accept(src)
		l.rx.add(&pkt.Header, time.Now(), l.s.clock(), true)
	}
}
