package main

import (
	"errors"

	"github.com/dialtone/dialtone/call/media/opus"
	"github.com/dialtone/dialtone/server/sipgw"
)

// sipOpusBitrate is what the gateway's encoder spends on a G.711 phone's
// audio: 4 kHz of band, which Opus carries transparently at 24 kbit/s.
const sipOpusBitrate = 24000

// opusCodec gives the SIP gateway libopus, for transcoding G.711.
type opusCodec struct{}

func (opusCodec) NewEncoder() (sipgw.OpusEncoder, error) {
	e, err := opus.NewEncoder(sipOpusBitrate)
	if err != nil {
		return nil, err
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
