package sipgw

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/dialtone/dialtone/call/media/opus"
	"github.com/dialtone/dialtone/server/sipgw/g711"
)

// TestBridgeTranscodesG711 runs a bridge for a PCMU phone on real sockets:
// the phone's 440 Hz in PCMU reaches a WebRTC peer (pion, over DTLS-SRTP
// through the lease) as Opus at 440 Hz, and the peer's 660 Hz in Opus
// reaches the phone as PCMU at 660 Hz, in 20 ms packets with the phone's
// payload type and running sequence numbers and timestamps.
func TestBridgeTranscodesG711(t *testing.T) {
	var st counters
	br := testBridge(t, &st)
	defer br.close()
	br.opus = testOpus{}
	phone := listenUDP(t)
	phoneAddr := phone.LocalAddr().(*net.UDPAddr).AddrPort()
	o := &offer{lines: []string{"audio"}, audio: &stream{kind: "audio", pt: g711PCMU, codec: codecPCMU,
		addr: phoneAddr, rtcp: phoneAddr, mux: true, send: true, recv: true}}
	if err := br.setLegs(o); errors.Is(err, opus.ErrUnavailable) {
		t.Skipf("no libopus: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
	if err := br.addTracks(); err != nil {
		t.Fatal(err)
	}
	peer, peerTrack := opusPeer(t)
	connect(t, br.pc, peer)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	// The peer: hears the bridge's Opus, and says 660 Hz in Opus.
	heard := make(chan []int16, 1)
	peer.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		dec, err := opus.NewDecoder()
		if err != nil {
			t.Error(err)
			return
		}
		defer dec.Close()
		var pcm []int16
		buf := make([]int16, 5760)
		for len(pcm) < 48000*3/2 {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			n, err := dec.Decode(p.Payload, buf)
			if err != nil {
				t.Errorf("the bridge's Opus does not decode: %v", err)
				return
			}
			pcm = append(pcm, buf[:n]...)
		}
		heard <- pcm
	})
	wg.Add(2)
	go func() {
		defer wg.Done()
		speakOpus(ctx, t, peerTrack, 660)
	}()
	// The phone: says 440 Hz in PCMU to the lease, and hears PCMU back.
	go func() {
		defer wg.Done()
		to := br.conn.LocalAddr().(*net.UDPAddr).AddrPort()
		tick := time.NewTicker(5 * time.Millisecond) // faster than real time: the bridge keeps no clock
		defer tick.Stop()
		for i := 0; ; i++ {
			p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: g711PCMU, SequenceNumber: uint16(i), Timestamp: uint32(i * frame8), SSRC: 7},
				Payload: g711.Ulaw.Encode(make([]byte, frame8), tone(frame8, 440, 8000, 8000, i*frame8))}
			raw, _ := p.Marshal()
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

	var got []sentG711
	buf := make([]byte, 1500)
	phone.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(got) < 75 {
		n, err := phone.Read(buf)
		if err != nil {
			t.Fatalf("the phone got %d packets: %v", len(got), err)
		}
		var p rtp.Packet
		if p.Unmarshal(buf[:n]) != nil {
			t.Fatal("the phone got a packet that is not RTP")
		}
		got = append(got, sentG711{p.Header, g711.Ulaw.Decode(make([]int16, len(p.Payload)), p.Payload)})
	}
	checkG711Run(t, got, g711PCMU)
	if hz, amp := toneOf(concatG711(got)[frame8*25:], 8000); math.Abs(hz-660) > 5 || amp < 4000 {
		t.Errorf("the phone heard %.1f Hz at %.0f, want the peer's 660 Hz", hz, amp)
	}
	select {
	case pcm := <-heard:
		if hz, amp := toneOf(pcm[48000/2:], 48000); math.Abs(hz-440) > 5 || amp < 4000 {
			t.Errorf("the WebRTC peer heard %.1f Hz at %.0f, want the phone's 440 Hz", hz, amp)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the WebRTC peer heard nothing from the phone")
	}
	if n := st.transcoded.Load(); n != 1 {
		t.Errorf("%d transcoded calls counted, want 1", n)
	}
}

// testBridge is a bridge on a loopback port of its own, logging nowhere and
// counting into st, whose ICE candidates and state changes go nowhere.
func testBridge(t *testing.T, st *counters) *bridge {
	t.Helper()
	br, err := newBridge(mustAddrPort(t, "127.0.0.1:0"), slog.New(slog.DiscardHandler), st,
		func(*webrtc.ICECandidate) {}, func(webrtc.PeerConnectionState) {})
	if err != nil {
		t.Fatal(err)
	}
	return br
}

// opusPeer is a dialtone party's side: a pion PeerConnection on loopback
// with an Opus track.
func opusPeer(t *testing.T) (*webrtc.PeerConnection, *webrtc.TrackLocalStaticSample) {
	t.Helper()
	pc := loopbackPC(t, opusCodec, 111, webrtc.RTPCodecTypeAudio)
	tr, err := webrtc.NewTrackLocalStaticSample(opusCodec, "audio", "peer")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(tr); err != nil {
		t.Fatal(err)
	}
	return pc, tr
}

// loopbackPC is a pion PeerConnection knowing one codec and gathering
// only IPv4 host candidates on lo, so a test's ICE needs no network and
// no mDNS. It is closed when the test ends.
func loopbackPC(t *testing.T, codec webrtc.RTPCodecCapability, pt webrtc.PayloadType, kind webrtc.RTPCodecType) *webrtc.PeerConnection {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: codec, PayloadType: pt}, kind); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// connect runs the offer and answer between the bridge (offering, as for
// a call from the phone) and the peer, with all candidates in the SDP, and
// waits for the peer's connection.
func connect(t *testing.T, gw, peer *webrtc.PeerConnection) {
	t.Helper()
	up := make(chan struct{})
	var once sync.Once
	peer.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(up) })
		}
	})
	complete := func(pc *webrtc.PeerConnection, d webrtc.SessionDescription) webrtc.SessionDescription {
		done := webrtc.GatheringCompletePromise(pc)
		if err := pc.SetLocalDescription(d); err != nil {
			t.Fatal(err)
		}
		<-done
		return *pc.LocalDescription()
	}
	off, err := gw.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := peer.SetRemoteDescription(complete(gw, off)); err != nil {
		t.Fatal(err)
	}
	ans, err := peer.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.SetRemoteDescription(complete(peer, ans)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-up:
	case <-time.After(10 * time.Second):
		t.Fatal("the peer never connected to the bridge")
	}
}

// speakOpus sends a tone in 20 ms Opus samples until ctx ends.
func speakOpus(ctx context.Context, t *testing.T, tr *webrtc.TrackLocalStaticSample, hz float64) {
	enc, err := opus.NewEncoder(32000)
	if err != nil {
		t.Error(err)
		return
	}
	defer enc.Close()
	buf := make([]byte, opus.MaxPacketSize)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		n, err := enc.Encode(tone(frame48, hz, 48000, 8000, i*frame48), buf)
		if err != nil {
			t.Error(err)
			return
		}
		if err := tr.WriteSample(media.Sample{Data: buf[:n], Duration: 20 * time.Millisecond}); err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
