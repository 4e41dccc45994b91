package synthetic

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/dialtone/dialtone/device"
)

const (
	y4mMagic       = "YUV4MPEG2"
	y4mMaxLine     = 4096
	y4mMaxDim      = 8192
	y4mMaxFrameLen = 64 << 20 // bytes; 4K 4:2:0 is 12 MB
)

// y4mColourSpaces are the 8-bit 4:2:0 layouts; they differ only in chroma
// siting, which a terminal video phone can ignore.
var y4mColourSpaces = map[string]bool{"420": true, "420jpeg": true, "420paldv": true, "420mpeg2": true}

type y4mHeader struct {
	width, height  int
	fpsNum, fpsDen int
}

func (h y4mHeader) frameLen() int {
	return h.width*h.height + 2*((h.width+1)/2)*((h.height+1)/2)
}

func (h y4mHeader) period() time.Duration {
	return time.Duration(float64(time.Second) * float64(h.fpsDen) / float64(h.fpsNum))
}

func y4mErr(format string, a ...any) error {
	return fmt.Errorf("y4m: %s: %w", fmt.Sprintf(format, a...), ErrFormat)
}

// readLine reads up to and including '\n', at most y4mMaxLine bytes.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		b, err := r.ReadByte()
		if err != nil {
			return line, err
		}
		if b == '\n' {
			return line, nil
		}
		if len(line) >= y4mMaxLine {
			return nil, y4mErr("line longer than %d bytes", y4mMaxLine)
		}
		line = append(line, b)
	}
}

// parseY4MHeader reads the stream header line. Frame rate defaults to 25 fps
// and colour space to 420jpeg when absent, as the format's tools do.
func parseY4MHeader(r *bufio.Reader) (y4mHeader, error) {
	line, err := readLine(r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return y4mHeader{}, y4mErr("truncated header")
		}
		return y4mHeader{}, err
	}
	fields := bytes.Fields(line)
	if len(fields) == 0 || string(fields[0]) != y4mMagic {
		return y4mHeader{}, y4mErr("not a YUV4MPEG2 file")
	}
	h := y4mHeader{fpsNum: 25, fpsDen: 1}
	for _, f := range fields[1:] {
		val := string(f[1:])
		switch f[0] {
		case 'W':
			h.width, err = parseBounded(val, 1, y4mMaxDim)
		case 'H':
			h.height, err = parseBounded(val, 1, y4mMaxDim)
		case 'F':
			num, den, ok := bytes.Cut(f[1:], []byte{':'})
			if !ok {
				return h, y4mErr("frame rate %q: want N:D", val)
			}
			if h.fpsNum, err = parseBounded(string(num), 1, 1<<30); err == nil {
				h.fpsDen, err = parseBounded(string(den), 1, 1<<30)
			}
			if err == nil && (float64(h.fpsNum)/float64(h.fpsDen) > 1000 || float64(h.fpsNum)/float64(h.fpsDen) < 0.01) {
				err = fmt.Errorf("%s fps out of range 0.01…1000", val)
			}
		case 'C':
			if !y4mColourSpaces[val] {
				return h, y4mErr("colour space %q not supported (want 8-bit 4:2:0: C420, C420jpeg, C420paldv, C420mpeg2)", val)
			}
		}
		if err != nil {
			return h, y4mErr("header field %q: %v", f, err)
		}
	}
	switch {
	case h.width == 0 || h.height == 0:
		return h, y4mErr("header lacks width or height")
	case h.width < 2 || h.height < 2:
		return h, y4mErr("size %dx%d too small", h.width, h.height)
	case h.frameLen() > y4mMaxFrameLen:
		return h, y4mErr("size %dx%d too large", h.width, h.height)
	}
	return h, nil
}

func parseBounded(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("not a number")
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d out of range %d…%d", n, lo, hi)
	}
	return n, nil
}

// Y4M is a VideoSource that plays a YUV4MPEG2 file in real time at the file's
// frame rate, from the start again after the last frame. Odd sizes lose their
// last column or row, since frames are even-sized.
type Y4M struct {
	hdr     y4mHeader
	file    io.ReadSeekCloser
	r       *bufio.Reader
	dataOff int64
	raw     []byte
	frame   device.Frame
	pending bool // raw holds a frame read but not yet returned
	pace    pacer

	mu        sync.Mutex // file and r, against Close
	closeOnce sync.Once
	done      chan struct{}
}

var _ device.VideoSource = (*Y4M)(nil)

// OpenY4M opens a YUV4MPEG2 file (8-bit 4:2:0) for playback. It reads the
// header and the first frame, so a bad or empty file fails here.
func OpenY4M(path string, opts ...Option) (*Y4M, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening y4m: %w", err)
	}
	v, err := newY4M(f, opts)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return v, nil
}

func newY4M(f io.ReadSeekCloser, opts []Option) (*Y4M, error) {
	r := bufio.NewReaderSize(f, 1<<16)
	hdr, err := parseY4MHeader(r)
	if err != nil {
		return nil, err
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	// Check the file holds one whole frame before allocating for it: the
	// header alone can ask for 64 MB.
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	dataOff := off - int64(r.Buffered())
	if end-dataOff < int64(len("FRAME\n")+hdr.frameLen()) {
		return nil, y4mErr("no complete frame")
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	v := &Y4M{
		hdr:     hdr,
		file:    f,
		r:       r,
		dataOff: dataOff,
		raw:     make([]byte, hdr.frameLen()),
		frame:   device.NewFrame(hdr.width&^1, hdr.height&^1),
		pace:    pacer{clock: o.clock, period: hdr.period()},
		done:    make(chan struct{}),
	}
	if err := v.readRaw(); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, y4mErr("no complete frame")
		}
		return nil, err
	}
	v.pending = true
	return v, nil
}

// Size is the size of the frames the source delivers.
func (v *Y4M) Size() (width, height int) { return v.frame.Width, v.frame.Height }

// FPS is the file's frame rate.
func (v *Y4M) FPS() float64 { return float64(v.hdr.fpsNum) / float64(v.hdr.fpsDen) }

// readRaw reads the next FRAME header and its planes into raw.
func (v *Y4M) readRaw() error {
	line, err := readLine(v.r)
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if !bytes.HasPrefix(line, []byte("FRAME")) || (len(line) > 5 && line[5] != ' ') {
		return y4mErr("bad frame header %.20q", line)
	}
	_, err = io.ReadFull(v.r, v.raw)
	return err
}

// next reads the next frame, going back to the first at the end of the file.
// A truncated last frame counts as the end.
func (v *Y4M) next() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	select {
	case <-v.done:
		return device.ErrClosed
	default:
	}
	err := v.readRaw()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if _, err = v.file.Seek(v.dataOff, io.SeekStart); err != nil {
			return fmt.Errorf("rewinding y4m: %w", err)
		}
		v.r.Reset(v.file)
		err = v.readRaw()
	}
	if err != nil {
		return fmt.Errorf("reading y4m frame: %w", err)
	}
	return nil
}

// ReadFrame waits for the next frame time and returns the next frame.
func (v *Y4M) ReadFrame(ctx context.Context) (device.Frame, error) {
	now, err := v.pace.wait(ctx, v.done)
	if err != nil {
		return device.Frame{}, err
	}
	if v.pending {
		v.pending = false
	} else if err := v.next(); err != nil {
		return device.Frame{}, err
	}
	v.unpack()
	v.frame.Time = now
	return v.frame, nil
}

// unpack copies raw's planes into the (even-sized) frame.
func (v *Y4M) unpack() {
	w, h := v.hdr.width, v.hdr.height
	cw, ch := (w+1)/2, (h+1)/2
	fw, fh := v.frame.Width, v.frame.Height
	copyPlane(v.frame.Y, fw, fh, v.raw[:w*h], w)
	copyPlane(v.frame.U, fw/2, fh/2, v.raw[w*h:w*h+cw*ch], cw)
	copyPlane(v.frame.V, fw/2, fh/2, v.raw[w*h+cw*ch:], cw)
}

func copyPlane(dst []byte, w, h int, src []byte, stride int) {
	if stride == w {
		copy(dst, src[:w*h])
		return
	}
	for y := range h {
		copy(dst[y*w:(y+1)*w], src[y*stride:y*stride+w])
	}
}

// Close stops playback and closes the file.
func (v *Y4M) Close() error {
	var err error
	v.closeOnce.Do(func() {
		close(v.done)
		v.mu.Lock()
		defer v.mu.Unlock()
		err = v.file.Close()
	})
	return err
}

// Y4MWriter writes frames to a YUV4MPEG2 stream (C420jpeg). It is a
// VideoSink, for recording and for making test files.
type Y4MWriter struct {
	w             io.Writer
	width, height int
}

var _ device.VideoSink = (*Y4MWriter)(nil)

// NewY4MWriter writes the stream header for frames of width×height at
// fpsNum/fpsDen frames per second.
func NewY4MWriter(w io.Writer, width, height, fpsNum, fpsDen int) (*Y4MWriter, error) {
	if width <= 0 || height <= 0 || width%2 != 0 || height%2 != 0 || fpsNum <= 0 || fpsDen <= 0 {
		return nil, fmt.Errorf("y4m writer: bad size %dx%d or rate %d:%d", width, height, fpsNum, fpsDen)
	}
	if _, err := fmt.Fprintf(w, "%s W%d H%d F%d:%d Ip A1:1 C420jpeg\n", y4mMagic, width, height, fpsNum, fpsDen); err != nil {
		return nil, fmt.Errorf("writing y4m header: %w", err)
	}
	return &Y4MWriter{w: w, width: width, height: height}, nil
}

// WriteFrame appends one frame, which must have the writer's size.
func (y *Y4MWriter) WriteFrame(f device.Frame) error {
	n := f.Width * f.Height
	if f.Width != y.width || f.Height != y.height || len(f.Y) < n || len(f.U) < n/4 || len(f.V) < n/4 {
		return fmt.Errorf("y4m writer: frame %dx%d, want %dx%d", f.Width, f.Height, y.width, y.height)
	}
	for _, b := range [][]byte{[]byte("FRAME\n"), f.Y[:n], f.U[:n/4], f.V[:n/4]} {
		if _, err := y.w.Write(b); err != nil {
			return fmt.Errorf("writing y4m frame: %w", err)
		}
	}
	return nil
}
