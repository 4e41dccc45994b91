package main

import (
	"errors"

	"github.com/dialtone/dialtone/call/media/opus"
	"github.com/dialtone/dialtone/server/sipgw"
)

// The gateway's encoder for a G.711 phone's audio: its 4 kHz of band is
// Opus's narrowband, carried transparently at 24 kbit/s; capping the band
// and taking complexity 5 of 10 cut the encoder's CPU by more than half
// (BenchmarkTranscode) for nothing G.711 could have carried.
const (
	sipOpusBitrate    = 24000
	sipOpusComplexity = 5
)

// opusCodec gives the SIP gateway libopus, for transcoding G.711.
type opusCodec struct{}

func (opusCodec) NewEncoder() (sipgw.OpusEncoder, error) {
	e, err := opus.NewEncoder(sipOpusBitrate)
	if err != nil {
		return nil, err
	}
	for _, err := range []error{e.SetMaxBandwidth(opus.Narrowband), e.SetComplexity(sipOpusComplexity)} {
		if err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

func (opusCodec) NewDecoder() (sipgw.OpusDecoder, error) {
	d, err := opus.NewDecoder()
	if err != nil {
		return nil, err
	}
	return d, nil
}

// sipOpus is the gateway's Opus, or nil in a build without libopus (the
// static CGO_ENABLED=0 server), which then answers G.711-only offers 488.
func sipOpus() sipgw.Opus {
	d, err := opus.NewDecoder()
	if errors.Is(err, opus.ErrUnavailable) {
		return nil
	}
	if d != nil {
		d.Close()
	}
	return opusCodec{}
}
