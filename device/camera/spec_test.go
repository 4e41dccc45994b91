package camera

import "testing"

func TestParseSpec(t *testing.T) {
	tests := []struct {
		spec string
		path string
		mode Mode
		bad  bool
	}{
		{spec: "/dev/video0", path: "/dev/video0"},
		{spec: "/dev/video0:640x480", path: "/dev/video0", mode: Mode{640, 480, 0}},
		{spec: "/dev/video0:640x480@30", path: "/dev/video0", mode: Mode{640, 480, 30}},
		{spec: "/dev/video2:1280x720@7.5", path: "/dev/video2", mode: Mode{1280, 720, 7.5}},
		{spec: "/dev/video0:@15", path: "/dev/video0", mode: Mode{0, 0, 15}},
		{spec: "/dev/v4l/by-id/usb-cam-video-index0:320x240", path: "/dev/v4l/by-id/usb-cam-video-index0", mode: Mode{320, 240, 0}},
		{spec: "", bad: true},
		{spec: ":640x480", bad: true},
		{spec: "/dev/video0:", bad: true},
		{spec: "/dev/video0:640", bad: true},
		{spec: "/dev/video0:640x", bad: true},
		{spec: "/dev/video0:axb", bad: true},
		{spec: "/dev/video0:0x480", bad: true},
		{spec: "/dev/video0:99999x480", bad: true},
		{spec: "/dev/video0:640x480@", bad: true},
		{spec: "/dev/video0:640x480@0", bad: true},
		{spec: "/dev/video0:640x480@-5", bad: true},
		{spec: "/dev/video0:640x480@NaN", bad: true},
		{spec: "/dev/video0:640x480@fast", bad: true},
	}
	for _, tt := range tests {
		path, mode, err := ParseSpec(tt.spec)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseSpec(%q) = %q, %v; want an error", tt.spec, path, mode)
			}
			continue
		}
		if err != nil || path != tt.path || mode != tt.mode {
			t.Errorf("ParseSpec(%q) = %q, %v, %v; want %q, %v", tt.spec, path, mode, err, tt.path, tt.mode)
		}
	}
}

func TestPixelFormat(t *testing.T) {
	for _, s := range []string{"YUYV", "MJPG", "NV12", "RGB3", "Y8"} {
		p, err := ParsePixelFormat(s)
		if err != nil || p.String() != s {
			t.Errorf("ParsePixelFormat(%q) = %v (%s), %v", s, uint32(p), p, err)
		}
	}
	if YUYV != 0x56595559 {
		t.Errorf("YUYV = %#x, want V4L2_PIX_FMT_YUYV 0x56595559", uint32(YUYV))
	}
	if got := PixelFormat(0xa0363159).String(); got != "0xa0363159" {
		t.Errorf("unprintable fourcc = %q", got)
	}
	if _, err := ParsePixelFormat("TOOLONG"); err == nil {
		t.Error("ParsePixelFormat(TOOLONG) did not fail")
	}
}

func TestOptions(t *testing.T) {
	if _, err := buildConfig(nil); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for _, o := range []Option{WithStallTimeout(0), WithBuffers(1), WithBuffers(33), WithPixelFormat(fourcc("H264"))} {
		if _, err := buildConfig([]Option{o}); err == nil {
			t.Errorf("option %v accepted", o)
		}
	}
}
