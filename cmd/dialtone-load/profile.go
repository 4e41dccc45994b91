package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"syscall"
	"time"
)

// profiler takes a CPU profile of the server over the call phase from its
// admin pprof endpoint.
type profiler struct {
	admin string // http://HOST:PORT
	file  string // empty: no profile
}

// start asks for a profile a little shorter than the call phase, so it
// covers calls only, and returns a channel that yields the outcome once
// the file is written (nil at once when there is nothing to do).
func (p profiler) start(ctx context.Context, phase time.Duration) <-chan error {
	done := make(chan error, 1)
	if p.file == "" {
		done <- nil
		return done
	}
	secs := max(int((phase - time.Second).Seconds()), 1)
	go func() {
		// The profile's own context: the call phase's ends before the
		// server has sent the last of it.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), phase+30*time.Second)
		defer cancel()
		done <- p.fetch(pctx, secs)
	}()
	return done
}

func (p profiler) fetch(ctx context.Context, secs int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", p.admin, secs), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", req.URL, resp.Status)
	}
	f, err := os.Create(p.file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", p.file, err)
	}
	return f.Close()
}

// selfCPUSeconds is this process's user and system CPU time so far.
func selfCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// startSelfProfile starts a CPU profile of this process into file (nothing
// when file is empty) and returns what stops it and closes the file.
func startSelfProfile(file string) (stop func(), err error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("profiling this process: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "dialtone-load: writing", file+":", err)
		}
	}, nil
}
