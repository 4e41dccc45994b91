//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import "golang.org/x/sys/unix"

// cellPixels is the size of one character cell in pixels, from the
// window size the terminal set on tty, when it set the pixel size too.
func cellPixels(tty uintptr) (w, h int, ok bool) {
	ws, err := unix.IoctlGetWinsize(int(tty), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 || ws.Row == 0 || ws.Xpixel == 0 || ws.Ypixel == 0 {
		return 0, 0, false
	}
	return int(ws.Xpixel / ws.Col), int(ws.Ypixel / ws.Row), true
}
