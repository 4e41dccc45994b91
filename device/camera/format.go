package camera

import (
	"fmt"
	"strconv"
	"strings"
)

// PixelFormat is a V4L2 pixel format code (a fourcc).
type PixelFormat uint32

func fourcc(s string) PixelFormat {
	return PixelFormat(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
}

// The pixel formats this package converts to I420.
var (
	YUYV  = fourcc("YUYV") // packed 4:2:2, Y0 U Y1 V
	UYVY  = fourcc("UYVY") // packed 4:2:2, U Y0 V Y1
	NV12  = fourcc("NV12") // Y plane, then interleaved U V at 4:2:0
	NV21  = fourcc("NV21") // Y plane, then interleaved V U at 4:2:0
	I420  = fourcc("YU12") // planar 4:2:0, Y U V
	YV12  = fourcc("YV12") // planar 4:2:0, Y V U
	RGB24 = fourcc("RGB3")
	BGR24 = fourcc("BGR3")
	MJPEG = fourcc("MJPG")
	JPEG  = fourcc("JPEG")
)

// String is the fourcc, with unprintable bytes escaped.
func (p PixelFormat) String() string {
	b := []byte{byte(p), byte(p >> 8), byte(p >> 16), byte(p >> 24)}
	for _, c := range b {
		if c < ' ' || c > '~' {
			return fmt.Sprintf("0x%08x", uint32(p))
		}
	}
	return strings.TrimRight(string(b), " ")
}

// ParsePixelFormat reads a fourcc such as "YUYV" or "MJPG".
func ParsePixelFormat(s string) (PixelFormat, error) {
	if len(s) < 1 || len(s) > 4 {
		return 0, fmt.Errorf("pixel format %q: want a fourcc such as YUYV or MJPG", s)
	}
	return fourcc((s + "    ")[:4]), nil
}

// cost ranks formats by the work of turning them into I420: planar and
// semi-planar YUV copy, packed YUV averages, RGB needs a matrix, MJPEG a
// decoder. Formats missing here cannot be converted.
var cost = map[PixelFormat]int{
	I420: 0, YV12: 0, NV12: 0, NV21: 0,
	YUYV: 1, UYVY: 1,
	RGB24: 2, BGR24: 2,
	MJPEG: 3, JPEG: 3,
}

// Info describes one capture device.
type Info struct {
	Path    string // e.g. /dev/video0
	Name    string // the card name, e.g. "HD Webcam C525"
	Driver  string // e.g. uvcvideo
	Bus     string // e.g. usb-0000:00:14.0-1
	Formats []Format
}

// Format is one pixel format a device offers, with its sizes.
type Format struct {
	Pixel       PixelFormat
	Description string
	Sizes       []FrameSize
}

// Convertible reports whether this package can turn the format into I420.
func (f Format) Convertible() bool {
	_, ok := cost[f.Pixel]
	return ok
}

// FrameSize is one picture size and the frame intervals offered at it. An
// empty Intervals means the device does not say.
type FrameSize struct {
	Width, Height int
	Intervals     []Interval
}

// Interval is the time between frames, Num/Den seconds.
type Interval struct{ Num, Den int }

// FPS is the frame rate, 0 for an unset interval.
func (i Interval) FPS() float64 {
	if i.Num <= 0 || i.Den <= 0 {
		return 0
	}
	return float64(i.Den) / float64(i.Num)
}

func (i Interval) String() string {
	return strconv.FormatFloat(i.FPS(), 'f', -1, 64)
}

// String lists the sizes and rates, e.g. "YUYV 640x480@30,15 320x240@30".
func (f Format) String() string {
	var b strings.Builder
	b.WriteString(f.Pixel.String())
	for _, s := range f.Sizes {
		fmt.Fprintf(&b, " %dx%d", s.Width, s.Height)
		for i, iv := range s.Intervals {
			if i == 0 {
				b.WriteByte('@')
			} else {
				b.WriteByte(',')
			}
			b.WriteString(iv.String())
		}
	}
	return b.String()
}

// offered summarises the formats for error messages: each convertible
// format with its sizes at their fastest rate, then the names of the rest.
func offered(formats []Format) string {
	var parts, others []string
	for _, f := range formats {
		if !f.Convertible() {
			others = append(others, f.Pixel.String())
			continue
		}
		var b strings.Builder
		b.WriteString(f.Pixel.String())
		for _, s := range f.Sizes {
			fmt.Fprintf(&b, " %dx%d", s.Width, s.Height)
			var top Interval
			for _, iv := range s.Intervals {
				if iv.FPS() > top.FPS() {
					top = iv
				}
			}
			if top.FPS() > 0 {
				b.WriteString("@" + top.String())
			}
		}
		parts = append(parts, b.String())
	}
	if len(others) > 0 {
		parts = append(parts, "and "+strings.Join(others, ", ")+", which cannot be converted")
	}
	if len(parts) == 0 {
		return "no formats"
	}
	return strings.Join(parts, "; ")
}
