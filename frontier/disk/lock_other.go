//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package disk

import (
	"fmt"
	"io"
	"os"
)

// lockFile creates path but takes no lock of its own on this platform:
// Pebble's lock on its store still refuses a second Open, though not with
// ErrLocked.
func lockFile(path string) (io.Closer, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	return f, nil
}
