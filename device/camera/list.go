//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64)

package camera

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// List describes the V4L2 video capture devices, /dev/video0 first. Nodes
// that only output, or carry metadata rather than pictures, are left out. No
// devices is an empty list, not an error; a device that exists but cannot be
// opened (no permission, say) comes back in the error next to the others.
func List() ([]Info, error) {
	return listDir("/dev")
}

func listDir(dir string) ([]Info, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "video*"))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(paths, func(a, b string) int { return nodeNumber(a) - nodeNumber(b) })
	infos := []Info{}
	var errs []error
	for _, p := range paths {
		info, err := Describe(p)
		switch {
		case err == nil:
			infos = append(infos, info)
		case errors.Is(err, ErrNotCamera), errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
			// not a capture node, or gone since the glob
		default:
			errs = append(errs, err)
		}
	}
	return infos, errors.Join(errs...)
}

func nodeNumber(path string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(path), "video"))
	if err != nil {
		return 1 << 30
	}
	return n
}

// Describe opens one device node and reports what it offers. A node that is
// not a video capture device gives ErrNotCamera.
func Describe(path string) (Info, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return Info{}, fmt.Errorf("opening %s: %w", path, err)
	}
	defer unix.Close(fd)
	return describe(fd, path)
}

func describe(fd int, path string) (Info, error) {
	var c v4l2Capability
	if err := ioctl(fd, vidiocQuerycap, &c); err != nil {
		if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) {
			return Info{}, fmt.Errorf("%s: %w", path, ErrNotCamera)
		}
		return Info{}, fmt.Errorf("querying %s: %w", path, err)
	}
	caps := c.capabilities
	if caps&capDeviceCaps != 0 {
		caps = c.deviceCaps // this node's, not the whole device's
	}
	if caps&capVideoCapture == 0 {
		return Info{}, fmt.Errorf("%s: %w (capabilities %#x)", path, ErrNotCamera, caps)
	}
	if caps&capStreaming == 0 {
		return Info{}, fmt.Errorf("%s: %w: no streaming I/O", path, ErrNotCamera)
	}
	info := Info{Path: path, Name: cstr(c.card[:]), Driver: cstr(c.driver[:]), Bus: cstr(c.busInfo[:])}
	for i := uint32(0); ; i++ {
		d := v4l2Fmtdesc{index: i, typ: bufTypeVideoCapture}
		if err := ioctl(fd, vidiocEnumFmt, &d); err != nil {
			if isEnd(err) {
				break
			}
			return Info{}, fmt.Errorf("listing formats of %s: %w", path, err)
		}
		f := Format{Pixel: PixelFormat(d.pixelformat), Description: cstr(d.description[:])}
		f.Sizes = frameSizes(fd, f.Pixel)
		info.Formats = append(info.Formats, f)
	}
	return info, nil
}

// commonSizes stand in for a continuous or stepwise size range, which a
// camera rarely has and which a video phone needs only a few points of.
var commonSizes = [][2]int{{160, 120}, {320, 240}, {640, 360}, {640, 480}, {800, 600}, {1280, 720}, {1920, 1080}}

func frameSizes(fd int, pix PixelFormat) []FrameSize {
	var sizes []FrameSize
	for i := uint32(0); ; i++ {
		e := v4l2Frmsizeenum{index: i, pixelFormat: uint32(pix)}
		if ioctl(fd, vidiocEnumFramesizes, &e) != nil {
			break
		}
		if e.typ == frmSizeDiscrete {
			w, h := int(e.u[0]), int(e.u[1])
			sizes = append(sizes, FrameSize{w, h, frameIntervals(fd, pix, w, h)})
			continue
		}
		// Stepwise or continuous: the common sizes that fit, and the largest.
		minW, maxW, stepW, minH, maxH, stepH := int(e.u[0]), int(e.u[1]), max(int(e.u[2]), 1), int(e.u[3]), int(e.u[4]), max(int(e.u[5]), 1)
		fits := func(w, h int) bool {
			return w >= minW && w <= maxW && h >= minH && h <= maxH && (w-minW)%stepW == 0 && (h-minH)%stepH == 0
		}
		for _, s := range append(commonSizes, [2]int{maxW, maxH}) {
			if fits(s[0], s[1]) && !slices.ContainsFunc(sizes, func(f FrameSize) bool { return f.Width == s[0] && f.Height == s[1] }) {
				sizes = append(sizes, FrameSize{s[0], s[1], frameIntervals(fd, pix, s[0], s[1])})
			}
		}
		break
	}
	return sizes
}

func frameIntervals(fd int, pix PixelFormat, w, h int) []Interval {
	var ivs []Interval
	for i := uint32(0); ; i++ {
		e := v4l2Frmivalenum{index: i, pixelFormat: uint32(pix), width: uint32(w), height: uint32(h)}
		if ioctl(fd, vidiocEnumFrameintervals, &e) != nil {
			break
		}
		if e.typ == frmIvalDiscrete {
			ivs = append(ivs, Interval{int(e.u[0]), int(e.u[1])})
			continue
		}
		// Stepwise or continuous: the fastest and the slowest rate, and the
		// common ones between them.
		lo, hi := Interval{int(e.u[0]), int(e.u[1])}, Interval{int(e.u[2]), int(e.u[3])}
		ivs = append(ivs, lo)
		for _, fps := range []int{30, 25, 15} {
			if f := float64(fps); f < lo.FPS() && f > hi.FPS() {
				ivs = append(ivs, Interval{1, fps})
			}
		}
		ivs = append(ivs, hi)
		break
	}
	return ivs
}
