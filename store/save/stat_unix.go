//go:build unix

package save

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// leadsTo reports whether h's path, from the top of d, still leads to the
// directory h has open. It is one fstatat(2) from the top, where a walk
// through the Root would cost an open and a close per directory of the
// path: this runs twice for every file saved. The kernel follows symbolic
// links here, even out of d, but the answer only decides whether h is
// used again or the path is walked anew through the Root, and a link
// leading out of d, to where one of its directories was moved, is not
// something a crawl or the web can plant.
func (d *Dir) leadsTo(h *handle) bool {
	var st unix.Stat_t
	if err := unix.Fstatat(d.topFd, h.dir, &st, 0); err != nil {
		return false
	}
	id, ok := h.id.Sys().(*syscall.Stat_t)
	return ok && uint64(st.Dev) == uint64(id.Dev) && uint64(st.Ino) == uint64(id.Ino)
}
