//go:build cgo

package opus

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus in testdata/fuzz")

// seedPackets returns real packets: a tone at two bitrates, with FEC, and
// DTX silence.
func seedPackets(t testing.TB) [][]byte {
	var out [][]byte
	for _, bps := range []int{12000, 64000} {
		e, d := newPair(t, bps)
		if err := e.SetPacketLoss(10); err != nil {
			t.Fatal(err)
		}
		_, pkts := roundTrip(t, e, d, tone(440, 8000, 0, 4*fs))
		out = append(out, pkts[0], pkts[3])
	}
	e, d := newPair(t, 0)
	if err := e.SetDTX(true); err != nil {
		t.Fatal(err)
	}
	_, pkts := roundTrip(t, e, d, make([]int16, 20*fs))
	return append(out, pkts[19])
}

// FuzzDecode feeds arbitrary bytes to Decode and DecodeFEC: nothing may
// crash, and sample counts must fit the buffer.
func FuzzDecode(f *testing.F) {
	for _, p := range seedPackets(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		d, err := NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		pcm := make([]int16, maxFrame)
		if n, err := d.Decode(pkt, pcm); err == nil && (n <= 0 || n > len(pcm)) {
			t.Fatalf("Decode gave %d samples", n)
		}
		if n, err := d.DecodeFEC(pkt, pcm[:fs]); err == nil && n != fs {
			t.Fatalf("DecodeFEC gave %d samples", n)
		}
		if n, err := d.Conceal(pcm[:fs]); err != nil || n != fs {
			t.Fatalf("Conceal after fuzz input: %d, %v", n, err)
		}
	})
}

// TestWriteFuzzCorpus regenerates the committed seed corpus
// (go test -run WriteFuzzCorpus -update).
func TestWriteFuzzCorpus(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/fuzz/FuzzDecode")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	names := []string{"12k-first", "12k-fec", "64k-first", "64k-fec", "dtx"}
	for i, p := range seedPackets(t) {
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", p)
		if err := os.WriteFile(filepath.Join(dir, names[i]), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
