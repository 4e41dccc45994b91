package session_test

import (
	"math"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/media"
	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/device/synthetic"
	"github.com/dialtone/dialtone/server/servertest"
)

// pionMedia is the real media factory: call/media, reading the pattern.
func pionMedia(mc session.MediaConfig, sig session.Signal) (session.Media, error) {
	s, err := media.New(media.Config{
		Relay: mc.Relay, RelayOnly: mc.RelayOnly, Offerer: mc.Offerer,
		Camera: mc.Camera, Mic: mc.Mic, Speaker: mc.Speaker,
		RemoteVideo: mc.RemoteVideo, LocalVideo: mc.LocalVideo,
		Logger: mc.Logger, Now: mc.Now, DecodePattern: true,
	}, sig)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// withDevices gives a phone the test pattern and a tone at hz.
func withDevices(t testing.TB, hz float64) func(*session.Config) {
	pat, err := synthetic.NewPattern(synthetic.PatternConfig{})
	if err != nil {
		t.Fatal(err)
	}
	tone, err := synthetic.NewTone(hz)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pat.Close(); tone.Close() })
	return func(c *session.Config) { c.Camera, c.Mic = pat, tone }
}

// waitFrames waits for a stats event about id showing at least n pattern
// frames, and returns it.
func waitFrames(t *testing.T, ph *phone, id call.ID, n int) *call.Stats {
	t.Helper()
	for {
		e := ph.wait(t, call.EventStats, id)
		if p := e.Stats.Video.Pattern; p != nil && p.Frames >= n {
			return e.Stats
		}
	}
}

// lookupA asks the server's DNS for number's A record: the addresses, and
// the response code.
func lookupA(t *testing.T, srv *servertest.Server, n string) ([]string, int) {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(number.Number(n).Digits()+".dialtone.internal.", dns.TypeA)
	r, _, err := new(dns.Client).Exchange(q, srv.Addrs.DNS)
	if err != nil {
		t.Fatalf("DNS: %v", err)
	}
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return out, r.Rcode
}

// checkPattern checks that every pattern frame the peer's camera gave it
// reached who, in order, or is accounted for: the peer chose not to send it
// (its rate control or frame-rate ladder, on a loaded machine), or who lost
// or dropped it — and those only after a packet that retransmission could
// not bring in time. A packet that is merely late (a starved sender, relay
// or receiver) is waited for, so on loopback the last two are none.
// peer must be what the peer said at its end after st was taken.
func checkPattern(t *testing.T, who string, st, peer *call.Stats) {
	t.Helper()
	v, p := st.Video, st.Video.Pattern
	t.Logf("%s pattern %+v; lost %d dropped %d frames, packets lost %d recovered %d; the peer skipped %d",
		who, p, v.FramesLost, v.FramesDropped, v.PacketsLost, v.PacketsRecovered, peer.Send.FramesSkipped)
	if p == nil || p.OutOfOrder != 0 || p.Missing > peer.Send.FramesSkipped+v.FramesLost+v.FramesDropped {
		t.Errorf("%s pattern %+v: frames missing beyond the %d the peer skipped and the %d lost and %d dropped",
			who, p, peer.Send.FramesSkipped, v.FramesLost, v.FramesDropped)
	}
	if v.FramesLost+v.FramesDropped > 0 && v.PacketsLost == 0 {
		t.Errorf("%s: %d frames lost and %d dropped, with no packet lost", who, v.FramesLost, v.FramesDropped)
	}
}

// checkStats checks what who received; peer is what the other side said at
// its end.
func checkStats(t *testing.T, who string, st, peer *call.Stats, hz float64) {
	t.Helper()
	checkPattern(t, who, st, peer)
	if p := st.Video.Pattern; p == nil || p.Frames < 30 {
		t.Errorf("%s pattern: %+v", who, p)
	}
	if math.Abs(st.Audio.ToneHz-hz) > 15 {
		t.Errorf("%s hears %.1f Hz, want %.0f", who, st.Audio.ToneHz, hz)
	}
	if st.SetupMs <= 0 || st.Path.Local != "relay" {
		t.Errorf("%s setup %v ms, path %+v", who, st.SetupMs, st.Path)
	}
}

func TestRealMediaCall(t *testing.T) {
	srv := servertest.New(t, servertest.Options{Pool: "127.77.21.0/24"})
	a := newPhone(t, alice, opts{url: srv.Addrs.URL, factory: pionMedia, prep: withDevices(t, 440)})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL, factory: pionMedia, prep: withDevices(t, 660)})
	id := connect(t, a, b)
	waitFrames(t, a, id, 30)
	waitFrames(t, b, id, 30)

	// The number resolves to its lease while the call lasts.
	acc := a.Calls()[0]
	host, _, _ := net.SplitHostPort(acc.LocalLease)
	if addrs, rcode := lookupA(t, srv, alice); rcode != dns.RcodeSuccess || !slices.Equal(addrs, []string{host}) {
		t.Fatalf("DNS during the call: %v rcode %d, want %s", addrs, rcode, host)
	}

	if err := a.Hangup(id); err != nil {
		t.Fatal(err)
	}
	ea := a.wait(t, call.EventEnded, id)
	eb := b.wait(t, call.EventEnded, id)
	checkStats(t, "alice", ea.Stats, eb.Stats, 660)
	checkStats(t, "bob", eb.Stats, ea.Stats, 440)
	if ea.Stats.Leases.Local != eb.Stats.Leases.Remote {
		t.Errorf("leases disagree: %+v %+v", ea.Stats.Leases, eb.Stats.Leases)
	}
	// Leases released; the number is known but has no address (NODATA).
	if st := srv.Leases().Stats(); st.InUse != 0 {
		t.Errorf("leases in use after hang-up: %+v", st)
	}
	if addrs, rcode := lookupA(t, srv, alice); rcode != dns.RcodeSuccess || len(addrs) != 0 {
		t.Errorf("DNS after the call: %v rcode %d, want NODATA", addrs, rcode)
	}
}

func TestRealMediaSurvivesSignallingDrop(t *testing.T) {
	srv := servertest.New(t, servertest.Options{Pool: "127.77.23.0/24", Grace: 10 * time.Second})
	px := servertest.NewProxy(t, srv.Addrs.Signal)
	a := newPhone(t, alice, opts{url: px.URL(), factory: pionMedia, prep: withDevices(t, 440)})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL, factory: pionMedia, prep: withDevices(t, 660)})
	id := connect(t, a, b)
	before := waitFrames(t, a, id, 10).Video.Pattern.Frames

	px.Drop()
	a.wait(t, call.EventDisconnected, "")
	a.wait(t, call.EventRegistered, "")
	// Media never stopped: frames keep arriving in order, none missing.
	after := waitFrames(t, a, id, before+30)
	checkPattern(t, "alice", after, b.nextStats(t, id))
	if err := b.Hangup(id); err != nil {
		t.Fatal(err)
	}
	if e := a.wait(t, call.EventEnded, id); e.Reason != "hangup" {
		t.Fatalf("alice: %+v", e)
	}
	expectKinds(t, a, id, "ringing accepted trust connected ended(hangup)")
}
