//go:build !cgo

package audio

import (
	"errors"
	"testing"
)

func TestWithoutCgo(t *testing.T) {
	if _, err := Devices(); !errors.Is(err, ErrNoPortAudio) {
		t.Errorf("Devices = %v", err)
	}
	if _, err := OpenInput(""); !errors.Is(err, ErrNoPortAudio) {
		t.Errorf("OpenInput = %v", err)
	}
	if _, err := OpenOutput(""); !errors.Is(err, ErrNoPortAudio) {
		t.Errorf("OpenOutput = %v", err)
	}
}
