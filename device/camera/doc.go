// Package camera captures pictures from Video4Linux2 (V4L2) cameras and
// delivers them as I420 frames: it lists the capture devices with their
// formats, sizes and frame rates, picks the cheapest format that gives the
// requested mode, streams it through mmap buffers and converts YUYV, UYVY,
// NV12, NV21, I420, YV12, RGB24, BGR24 and MJPEG to I420.
//
// A Camera is a device.VideoSource. It never hangs the call: a busy device,
// a device unplugged mid-call, a device that stops delivering and a mode the
// device cannot give all end in an error that names the device, and Close is
// safe while ReadFrame blocks.
//
// It talks to the kernel with golang.org/x/sys/unix and needs no cgo, so a
// static build works. It is not a general V4L2 library: single-planar video
// capture with mmap streaming is all a video phone needs.
package camera
