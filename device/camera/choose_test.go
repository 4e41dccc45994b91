package camera

import (
	"errors"
	"strings"
	"testing"
)

func sizes(ss ...FrameSize) []FrameSize { return ss }

func size(w, h int, fps ...int) FrameSize {
	s := FrameSize{Width: w, Height: h}
	for _, f := range fps {
		s.Intervals = append(s.Intervals, Interval{1, f})
	}
	return s
}

// A typical UVC webcam: raw YUYV is bandwidth-bound at large sizes, MJPEG
// is not.
var webcam = []Format{
	{Pixel: YUYV, Sizes: sizes(size(640, 480, 30, 15), size(1280, 720, 10), size(320, 240, 30))},
	{Pixel: MJPEG, Sizes: sizes(size(640, 480, 30), size(1280, 720, 30, 15), size(1920, 1080, 30))},
}

func TestChoose(t *testing.T) {
	tests := []struct {
		name    string
		formats []Format
		want    Mode
		only    PixelFormat
		chosen  string
	}{
		{"raw reaches the mode", webcam, Mode{640, 480, 30}, 0, "YUYV 640x480@30"},
		{"defaults are 640x480@30", webcam, Mode{}, 0, "YUYV 640x480@30"},
		{"raw too slow at the size: MJPEG", webcam, Mode{1280, 720, 30}, 0, "MJPG 1280x720@30"},
		{"raw fast enough at the size", webcam, Mode{1280, 720, 10}, 0, "YUYV 1280x720@10"},
		{"nearest size above", webcam, Mode{800, 600, 30}, 0, "MJPG 1280x720@30"},
		{"nothing so large: the largest", webcam, Mode{4000, 3000, 30}, 0, "MJPG 1920x1080@30"},
		{"small request: the smallest above", webcam, Mode{100, 100, 30}, 0, "YUYV 320x240@30"},
		{"nearest rate", webcam, Mode{640, 480, 12}, 0, "YUYV 640x480@15"},
		{"only rate offered", webcam, Mode{320, 240, 5}, 0, "YUYV 320x240@30"},
		{"forced MJPEG", webcam, Mode{640, 480, 30}, MJPEG, "MJPG 640x480@30"},
		{"planar beats packed", []Format{
			{Pixel: YUYV, Sizes: sizes(size(640, 480, 30))},
			{Pixel: NV12, Sizes: sizes(size(640, 480, 30))},
		}, Mode{640, 480, 30}, 0, "NV12 640x480@30"},
		{"29.97 and 30 are one rate", []Format{
			{Pixel: MJPEG, Sizes: sizes(size(640, 480, 30))},
			{Pixel: YUYV, Sizes: sizes(FrameSize{640, 480, []Interval{{1001, 30000}}})},
		}, Mode{640, 480, 30}, 0, "YUYV 640x480@29.97002997002997"},
		{"RGB before MJPEG", []Format{
			{Pixel: MJPEG, Sizes: sizes(size(640, 480, 30))},
			{Pixel: BGR24, Sizes: sizes(size(640, 480, 30))},
		}, Mode{640, 480, 30}, 0, "BGR3 640x480@30"},
		{"unknown rates", []Format{{Pixel: YUYV, Sizes: sizes(size(640, 480))}}, Mode{640, 480, 30}, 0, "YUYV 640x480"},
		{"unconvertible formats ignored", []Format{
			{Pixel: fourcc("H264"), Sizes: sizes(size(1920, 1080, 30))},
			{Pixel: YUYV, Sizes: sizes(size(640, 480, 30))},
		}, Mode{1920, 1080, 30}, 0, "YUYV 640x480@30"},
		{"odd sizes allowed", []Format{{Pixel: YUYV, Sizes: sizes(size(641, 481, 30))}}, Mode{640, 480, 30}, 0, "YUYV 641x481@30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := choose(tt.formats, tt.want, tt.only)
			if err != nil {
				t.Fatal(err)
			}
			if c.String() != tt.chosen {
				t.Errorf("choose(%v) = %v, want %s", tt.want, c, tt.chosen)
			}
		})
	}
}

func TestChooseErrors(t *testing.T) {
	tests := []struct {
		name     string
		formats  []Format
		only     PixelFormat
		contains []string
	}{
		{"nothing convertible", []Format{
			{Pixel: fourcc("GREY"), Sizes: sizes(size(640, 480, 30))},
			{Pixel: fourcc("H264"), Sizes: sizes(size(640, 480, 30))},
		}, 0, []string{"no format that can be converted", "GREY, H264, which cannot be converted"}},
		{"no formats", nil, 0, []string{"no formats"}},
		{"forced format absent", webcam[:1], MJPEG, []string{"no MJPG format for 640x480@30", "YUYV 640x480@30 1280x720@10 320x240@30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := choose(tt.formats, Mode{640, 480, 30}, tt.only)
			if !errors.Is(err, ErrMode) {
				t.Fatalf("choose = %v, %v; want ErrMode", c, err)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}
