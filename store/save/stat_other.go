//go:build !unix

package save

import "os"

// leadsTo reports whether h's path, from the top of d, still leads to the
// directory h has open.
func (d *Dir) leadsTo(h *handle) bool {
	fi, err := d.root.Stat(h.dir)
	return err == nil && os.SameFile(fi, h.id)
}
