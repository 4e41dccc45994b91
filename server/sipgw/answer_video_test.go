package sipgw

import (
	"net"
	"testing"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// TestAnswerTurnsDownVideoThePhoneTookNot: a dialtone party calling a
// phone that took no video offers audio and video; the bridge answers the
// video inactive, so the party sends none, and the audio sendrecv.
func TestAnswerTurnsDownVideoThePhoneTookNot(t *testing.T) {
	for _, tc := range []struct {
		name  string
		video bool
		want  string // the answer's video direction
	}{
		{"phone without video", false, "inactive"},
		{"phone with video", true, "sendrecv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st counters
			br := testBridge(t, &st)
			defer br.close()
			phone := listenUDP(t).LocalAddr().(*net.UDPAddr).AddrPort()
			o := &offer{lines: []string{"audio"}, audio: &stream{kind: "audio", pt: 111, codec: "opus",
				addr: phone, rtcp: phone, mux: true, send: true, recv: true}}
			if tc.video {
				o.lines = append(o.lines, "video")
				o.video = &stream{kind: "video", pt: 96, codec: "vp8", addr: phone, rtcp: phone, mux: true, send: true, recv: true}
			}
			if err := br.setLegs(o); err != nil {
				t.Fatal(err)
			}
			peer := avPeer(t)
			off, err := peer.CreateOffer(nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := peer.SetLocalDescription(off); err != nil {
				t.Fatal(err)
			}
			ans, err := br.answer(off.SDP)
			if err != nil {
				t.Fatal(err)
			}
			if err := peer.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans}); err != nil {
				t.Fatal(err)
			}
			dirs := directions(t, ans)
			if dirs["audio"] != "sendrecv" || dirs["video"] != tc.want {
				t.Errorf("answer's directions %v, want audio sendrecv and video %s\n%s", dirs, tc.want, ans)
			}
		})
	}
}

// avPeer is a dialtone party sending audio and video.
func avPeer(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: opusCodec, PayloadType: 111}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: vp8Codec, PayloadType: 96}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	for _, c := range []webrtc.RTPCodecCapability{opusCodec, vp8Codec} {
		tr, err := webrtc.NewTrackLocalStaticSample(c, "av", "peer")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
	}
	return pc
}

func directions(t *testing.T, s string) map[string]string {
	t.Helper()
	var d sdp.SessionDescription
	if err := d.UnmarshalString(s); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range d.MediaDescriptions {
		for _, a := range []string{"sendrecv", "sendonly", "recvonly", "inactive"} {
			if _, ok := m.Attribute(a); ok {
				out[m.MediaName.Media] = a
			}
		}
	}
	return out
}
