//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64)

package camera

import (
	"bytes"
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The V4L2 ABI (linux/videodev2.h) for 64-bit kernels: the structs below
// match the kernel's layout there, which is why the package is limited to
// 64-bit architectures.

const (
	capVideoCapture = 0x00000001
	capStreaming    = 0x04000000
	capDeviceCaps   = 0x80000000
	capTimePerFrame = 0x1000 // in v4l2_captureparm.capability

	bufTypeVideoCapture = 1
	memoryMmap          = 1
	fieldAny            = 0

	frmSizeDiscrete = 1
	frmIvalDiscrete = 1

	bufFlagError         = 0x00000040
	bufFlagTimestampMask = 0x0000e000
	bufFlagTimestampMono = 0x00002000
)

type v4l2Capability struct {
	driver       [16]byte
	card         [32]byte
	busInfo      [32]byte
	version      uint32
	capabilities uint32
	deviceCaps   uint32
	reserved     [3]uint32
}

type v4l2Fmtdesc struct {
	index       uint32
	typ         uint32
	flags       uint32
	description [32]byte
	pixelformat uint32
	mbusCode    uint32
	reserved    [3]uint32
}

type v4l2Frmsizeenum struct {
	index       uint32
	pixelFormat uint32
	typ         uint32
	// discrete: width, height; stepwise: min/max/step width, min/max/step height
	u        [6]uint32
	reserved [2]uint32
}

type v4l2Frmivalenum struct {
	index       uint32
	pixelFormat uint32
	width       uint32
	height      uint32
	typ         uint32
	// discrete: num, den; stepwise: min, max, step as num/den pairs
	u        [6]uint32
	reserved [2]uint32
}

type v4l2PixFormat struct {
	width        uint32
	height       uint32
	pixelformat  uint32
	field        uint32
	bytesperline uint32
	sizeimage    uint32
	colorspace   uint32
	priv         uint32
	flags        uint32
	encoding     uint32
	quantization uint32
	xferFunc     uint32
}

type v4l2Format struct {
	typ uint32
	_   uint32 // the union holds pointers, so it is 8-aligned
	pix v4l2PixFormat
	_   [200 - unsafe.Sizeof(v4l2PixFormat{})]byte
}

type v4l2Requestbuffers struct {
	count        uint32
	typ          uint32
	memory       uint32
	capabilities uint32
	flags        uint8
	reserved     [3]uint8
}

type v4l2Buffer struct {
	index     uint32
	typ       uint32
	bytesused uint32
	flags     uint32
	field     uint32
	_         uint32
	timestamp unix.Timeval
	timecode  [16]byte
	sequence  uint32
	memory    uint32
	offset    uint32 // m.offset, the first member of a union of 8 bytes
	_         uint32
	length    uint32
	reserved2 uint32
	requestFD int32
	_         uint32
}

type v4l2Streamparm struct {
	typ          uint32
	capability   uint32
	capturemode  uint32
	timeperframe [2]uint32 // numerator, denominator
	extendedmode uint32
	readbuffers  uint32
	_            [200 - 24]byte // the rest of the 200-byte union
}

type v4l2Queryctrl struct {
	id       uint32
	typ      uint32
	name     [32]byte
	minimum  int32
	maximum  int32
	step     int32
	def      int32
	flags    uint32
	reserved [2]uint32
}

type v4l2Control struct {
	id    uint32
	value int32
}

func ioc(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | 'V'<<8 | nr }

const (
	iocW  = 1
	iocR  = 2
	iocRW = 3
)

var (
	vidiocQuerycap           = ioc(iocR, 0, unsafe.Sizeof(v4l2Capability{}))
	vidiocEnumFmt            = ioc(iocRW, 2, unsafe.Sizeof(v4l2Fmtdesc{}))
	vidiocGFmt               = ioc(iocRW, 4, unsafe.Sizeof(v4l2Format{}))
	vidiocSFmt               = ioc(iocRW, 5, unsafe.Sizeof(v4l2Format{}))
	vidiocReqbufs            = ioc(iocRW, 8, unsafe.Sizeof(v4l2Requestbuffers{}))
	vidiocQuerybuf           = ioc(iocRW, 9, unsafe.Sizeof(v4l2Buffer{}))
	vidiocQbuf               = ioc(iocRW, 15, unsafe.Sizeof(v4l2Buffer{}))
	vidiocDqbuf              = ioc(iocRW, 17, unsafe.Sizeof(v4l2Buffer{}))
	vidiocStreamon           = ioc(iocW, 18, 4)
	vidiocStreamoff          = ioc(iocW, 19, 4)
	vidiocGParm              = ioc(iocRW, 21, unsafe.Sizeof(v4l2Streamparm{}))
	vidiocSParm              = ioc(iocRW, 22, unsafe.Sizeof(v4l2Streamparm{}))
	vidiocSCtrl              = ioc(iocRW, 28, unsafe.Sizeof(v4l2Control{}))
	vidiocQueryctrl          = ioc(iocRW, 36, unsafe.Sizeof(v4l2Queryctrl{}))
	vidiocEnumFramesizes     = ioc(iocRW, 74, unsafe.Sizeof(v4l2Frmsizeenum{}))
	vidiocEnumFrameintervals = ioc(iocRW, 75, unsafe.Sizeof(v4l2Frmivalenum{}))
)

// The sizes the kernel expects, checked at compile time (a negative array
// length does not compile): a mismatch would corrupt memory.
var (
	_ [104 - unsafe.Sizeof(v4l2Capability{})]byte
	_ [unsafe.Sizeof(v4l2Capability{}) - 104]byte
	_ [64 - unsafe.Sizeof(v4l2Fmtdesc{})]byte
	_ [unsafe.Sizeof(v4l2Fmtdesc{}) - 64]byte
	_ [44 - unsafe.Sizeof(v4l2Frmsizeenum{})]byte
	_ [unsafe.Sizeof(v4l2Frmsizeenum{}) - 44]byte
	_ [52 - unsafe.Sizeof(v4l2Frmivalenum{})]byte
	_ [unsafe.Sizeof(v4l2Frmivalenum{}) - 52]byte
	_ [208 - unsafe.Sizeof(v4l2Format{})]byte
	_ [unsafe.Sizeof(v4l2Format{}) - 208]byte
	_ [20 - unsafe.Sizeof(v4l2Requestbuffers{})]byte
	_ [unsafe.Sizeof(v4l2Requestbuffers{}) - 20]byte
	_ [88 - unsafe.Sizeof(v4l2Buffer{})]byte
	_ [unsafe.Sizeof(v4l2Buffer{}) - 88]byte
	_ [204 - unsafe.Sizeof(v4l2Streamparm{})]byte
	_ [unsafe.Sizeof(v4l2Streamparm{}) - 204]byte
	_ [68 - unsafe.Sizeof(v4l2Queryctrl{})]byte
	_ [unsafe.Sizeof(v4l2Queryctrl{}) - 68]byte
)

// ioctl retries on EINTR, which V4L2 drivers return when a signal (the Go
// runtime's preemption, for one) arrives during a blocking call.
func ioctl[T any](fd int, req uintptr, arg *T) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(arg)))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// isEnd reports the error an enumeration ioctl returns past its last entry.
func isEnd(err error) bool { return errors.Is(err, unix.EINVAL) }
