//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// lockOutput takes an exclusive flock on the --out file of a worker of a
// shared crawl, creating it, without waiting: two processes on one
// machine writing one file would be one worker twice. The kernel drops
// the lock when the process dies.
func lockOutput(path string) (io.Closer, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, usagef("--out %s: %v", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		cerr := f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errors.Join(lockedError{fmt.Errorf("--out %s is being written by another process of this crawl on this machine", path)}, cerr)
		}
		return nil, errors.Join(fmt.Errorf("lock --out %s: %w", path, err), cerr)
	}
	return f, nil
}
