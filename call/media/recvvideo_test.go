package media

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/media/vp8"
	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/device/synthetic"
)

// TestRecvVideoHeldUp: a receiver the scheduler holds up finds, when it
// runs, a packet that shows a gap and, queued behind it, the packet that
// fills it (a retransmission, or the rest of the frame). Its clock has moved
// past the gap's deadline by then; it must take what is queued before it
// judges the gap, and lose nothing.
func TestRecvVideoHeldUp(t *testing.T) {
	enc, err := vp8.NewEncoder(vp8.EncoderConfig{Width: 160, Height: 120, NoFrameDrop: true})
	if errors.Is(err, vp8.ErrUnavailable) {
		t.Skip("VP8 is not built in (cgo off)")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()

	// Every reading of the clock is 100 ms after the one before: the
	// receiver is late for everything, as on a starved machine.
	var ticks atomic.Int64
	t0 := time.Now()
	sink := synthetic.NewVideoCapture(1)
	s := &Session{log: slog.New(slog.DiscardHandler), cfg: Config{
		RemoteVideo: sink,
		Now:         func() time.Time { return t0.Add(time.Duration(ticks.Add(1)) * 100 * time.Millisecond) },
	}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	// A PeerConnection only for the key frame requests a loss would send.
	if s.pc, err = webrtc.NewPeerConnection(webrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	defer s.pc.Close()

	// Two frames, the second in two packets: 1, then 2 and 3. The queue
	// holds 1, 3, 2 — 3 shows that 2 is missing, and 2 is right behind it.
	pay := codecs.VP8Payloader{EnablePictureID: true}
	var pkts []*rtp.Packet
	seq := uint16(1)
	for i := range 2 {
		f := device.NewFrame(160, 120)
		for j := range f.Y {
			f.Y[j] = byte(i*40 + j%160)
		}
		data, _, err := enc.Encode(f, i == 0)
		if err != nil || data == nil {
			t.Fatalf("encoding frame %d: %v", i, err)
		}
		mtu := uint16(len(data)+1)/2 + 4 // two packets, after the 4-byte descriptor
		if i == 0 {
			mtu = rtpPayloadMTU
		}
		parts := pay.Payload(mtu, data)
		if want := i + 1; len(parts) != want {
			t.Fatalf("frame %d in %d packets, want %d", i, len(parts), want)
		}
		for k, p := range parts {
			pkts = append(pkts, &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(3000 * i), Marker: k == len(parts)-1}, Payload: p})
			seq++
		}
	}
	in := make(chan *rtp.Packet, 3)
	for _, i := range []int{0, 2, 1} {
		in <- pkts[i]
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.recvVideo(1, in)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = sink.Wait(ctx, 2)
	s.cancel()
	wg.Wait()
	st := s.Stats().Video
	if err != nil || st.FramesDecoded != 2 || st.PacketsLost != 0 || st.FramesLost != 0 || st.FramesDropped != 0 {
		t.Fatalf("decoded %d of 2 frames (%v); lost %d packets, lost %d and dropped %d frames; want none lost",
			st.FramesDecoded, err, st.PacketsLost, st.FramesLost, st.FramesDropped)
	}
}
