package echo

import (
	"encoding/binary"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// echoed is one packet the echo sent back: which phone sent it (id), its
// counter, and the echoed stream's SSRC.
type echoed struct {
	kind webrtc.RTPCodecType
	id   byte
	n    uint32
	ssrc webrtc.SSRC
}

// rawMedia is media without codecs: RTP packets whose payload carries the
// phone's id and a counter, 50 a second on a video and an audio track.
type rawMedia struct {
	video, audio *webrtc.TrackLocalStaticRTP
	videoSender  *webrtc.RTPSender
	got          chan echoed
	plis         chan uint32 // MediaSSRC of picture-loss requests the phone's video sender got
}

func (p *phone) addRaw(id byte) *rawMedia {
	t := p.t
	t.Helper()
	s := &rawMedia{got: make(chan echoed, 1024), plis: make(chan uint32, 16)}
	var err error
	if s.video, err = webrtc.NewTrackLocalStaticRTP(vp8Codec, "video", "phone"); err != nil {
		t.Fatal(err)
	}
	if s.audio, err = webrtc.NewTrackLocalStaticRTP(opusCodec, "audio", "phone"); err != nil {
		t.Fatal(err)
	}
	if s.videoSender, err = p.pc.AddTrack(s.video); err != nil {
		t.Fatal(err)
	}
	audioSender, err := p.pc.AddTrack(s.audio)
	if err != nil {
		t.Fatal(err)
	}
	p.pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if len(pkt.Payload) < 5 {
				continue
			}
			select {
			case s.got <- echoed{kind: tr.Kind(), id: pkt.Payload[0], n: binary.BigEndian.Uint32(pkt.Payload[1:]), ssrc: tr.SSRC()}:
			default:
			}
		}
	})
	p.wg.Add(3)
	go func() {
		defer p.wg.Done()
		for {
			pkts, _, err := s.videoSender.ReadRTCP()
			if err != nil {
				return
			}
			for _, pk := range pkts {
				if pli, ok := pk.(*rtcp.PictureLossIndication); ok {
					select {
					case s.plis <- pli.MediaSSRC:
					default:
					}
				}
			}
		}
	}()
	go func() {
		defer p.wg.Done()
		for {
			if _, _, err := audioSender.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := uint32(0); ; n++ {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			payload := make([]byte, 5, 64)
			payload[0] = id
			binary.BigEndian.PutUint32(payload[1:], n)
			payload = payload[:64]
			for i, tr := range []*webrtc.TrackLocalStaticRTP{s.video, s.audio} {
				_ = tr.WriteRTP(&rtp.Packet{
					Header:  rtp.Header{Version: 2, Marker: true, SequenceNumber: uint16(n), Timestamp: n * uint32(1800-i*840)},
					Payload: payload,
				})
			}
		}
	}()
	return s
}

// expectEchoes waits for n echoed packets of each kind and checks they are
// the phone's own, in order.
func (p *phone) expectEchoes(s *rawMedia, id byte, n int) (videoSSRC webrtc.SSRC) {
	p.t.Helper()
	count := map[webrtc.RTPCodecType]int{}
	last := map[webrtc.RTPCodecType]uint32{}
	deadline := time.After(wait)
	for count[webrtc.RTPCodecTypeVideo] < n || count[webrtc.RTPCodecTypeAudio] < n {
		select {
		case e := <-s.got:
			if e.id != id {
				p.t.Fatalf("phone %d got phone %d's %s back", id, e.id, e.kind)
			}
			if count[e.kind] > 0 && e.n <= last[e.kind] {
				p.t.Fatalf("%s packet %d came back after %d", e.kind, e.n, last[e.kind])
			}
			count[e.kind]++
			last[e.kind] = e.n
			if e.kind == webrtc.RTPCodecTypeVideo {
				videoSSRC = e.ssrc
			}
		case <-deadline:
			p.t.Fatalf("phone %d: %v packets echoed, want %d of each", id, count, n)
		}
	}
	return videoSSRC
}
