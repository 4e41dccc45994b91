package sipgw

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestKeyFrameRequests runs a video bridge on real sockets: the dialtone
// party (pion, through the lease) is asked for a key frame when its video
// starts, when the phone sends a PLI and when it sends a FIR; the party's
// PLI reaches the phone as a PLI for the phone's own stream.
func TestKeyFrameRequests(t *testing.T) {
	var st counters
	br := testBridge(t, &st)
	defer br.close()
	phone := listenUDP(t)
	phoneAddr := phone.LocalAddr().(*net.UDPAddr).AddrPort()
	o := &offer{lines: []string{"video"}, video: &stream{kind: "video", pt: 100, codec: "vp8",
		addr: phoneAddr, rtcp: phoneAddr, mux: true, send: true, recv: true}}
	if err := br.setLegs(o); err != nil {
		t.Fatal(err)
	}
	if err := br.addTracks(); err != nil {
		t.Fatal(err)
	}
	peer, sender, track := vp8Peer(t)
	plis := make(chan struct{}, 16)
	go func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if _, ok := p.(*rtcp.PictureLossIndication); ok {
					plis <- struct{}{}
				}
			}
		}
	}()
	bridgeSSRC := make(chan uint32, 1)
	peer.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { bridgeSSRC <- uint32(tr.SSRC()) })
	connect(t, br.pc, peer)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	const phoneSSRC = 0x7070
	to := br.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	wg.Add(1)
	go func() { // both send video: the party to the bridge, the phone to the lease
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			_ = track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i), Timestamp: uint32(i * 3000)}, Payload: []byte{0x10, 0, 0, 0}})
			raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 100, SequenceNumber: uint16(i), Timestamp: uint32(i * 3000), SSRC: phoneSSRC},
				Payload: []byte{0x10, 0, 0, 0}}).Marshal()
			if _, err := phone.WriteToUDPAddrPort(raw, to); err != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	wait := func(what string) {
		t.Helper()
		select {
		case <-plis:
		case <-time.After(10 * time.Second):
			t.Fatalf("the dialtone party got no PLI %s", what)
		}
	}
	wait("when its video started")
	ssrc := <-bridgeSSRC // the phone's video has reached the party
	for _, req := range []struct {
		name string
		p    rtcp.Packet
	}{
		{"PLI", &rtcp.PictureLossIndication{SenderSSRC: phoneSSRC, MediaSSRC: 0x5150_0000}},
		{"FIR", &rtcp.FullIntraRequest{SenderSSRC: phoneSSRC, MediaSSRC: 0x5150_0000, FIR: []rtcp.FIREntry{{SSRC: 0x5150_0000, SequenceNumber: 1}}}},
	} {
		for len(plis) > 0 {
			<-plis
		}
		raw, _ := req.p.Marshal()
		if _, err := phone.WriteToUDPAddrPort(raw, to); err != nil {
			t.Fatal(err)
		}
		wait("for the phone's " + req.name)
	}

	if err := peer.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	phone.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		n, err := phone.Read(buf)
		if err != nil {
			t.Fatalf("the phone got no PLI for the party's: %v", err)
		}
		if n < 2 || buf[1] < 192 || buf[1] > 223 {
			continue // RTP
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			if pli, ok := p.(*rtcp.PictureLossIndication); ok {
				if pli.MediaSSRC != phoneSSRC {
					t.Errorf("the phone's PLI names SSRC %#x, want its own %#x", pli.MediaSSRC, phoneSSRC)
				}
				return
			}
		}
	}
}

// vp8Peer is a dialtone party sending VP8.
func vp8Peer(t *testing.T) (*webrtc.PeerConnection, *webrtc.RTPSender, *webrtc.TrackLocalStaticRTP) {
	t.Helper()
	pc := loopbackPC(t, vp8Codec, 96, webrtc.RTPCodecTypeVideo)
	tr, err := webrtc.NewTrackLocalStaticRTP(vp8Codec, "video", "peer")
	if err != nil {
		t.Fatal(err)
	}
	s, err := pc.AddTrack(tr)
	if err != nil {
		t.Fatal(err)
	}
	return pc, s, tr
}
