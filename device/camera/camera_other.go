//go:build !(linux && (amd64 || arm64 || riscv64 || ppc64le || loong64))

package camera

import (
	"context"
	"errors"

	"github.com/dialtone/dialtone/device"
)

var errUnsupported = errors.New("V4L2 cameras need 64-bit Linux")

// Camera is a V4L2 camera; elsewhere Open always fails.
type Camera struct{}

// List finds no cameras off 64-bit Linux.
func List() ([]Info, error) { return []Info{}, nil }

// Describe fails off 64-bit Linux.
func Describe(path string) (Info, error) { return Info{}, errUnsupported }

// Open fails off 64-bit Linux.
func Open(spec string, opts ...Option) (*Camera, error) { return nil, errUnsupported }

// ReadFrame fails off 64-bit Linux.
func (c *Camera) ReadFrame(ctx context.Context) (device.Frame, error) {
	return device.Frame{}, errUnsupported
}

// Close does nothing off 64-bit Linux.
func (c *Camera) Close() error { return nil }

// Choice is empty off 64-bit Linux.
func (c *Camera) Choice() Choice { return Choice{} }

// Path is empty off 64-bit Linux.
func (c *Camera) Path() string { return "" }

// Info is empty off 64-bit Linux.
func (c *Camera) Info() Info { return Info{} }

// Size is zero off 64-bit Linux.
func (c *Camera) Size() (width, height int) { return 0, 0 }
