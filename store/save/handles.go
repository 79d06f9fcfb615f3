package save

import (
	"errors"
	"io/fs"
	"os"
	"sync"
)

// maxHandles bounds the directory handles a Dir keeps open.
const maxHandles = 32

// A handle is an open directory of the save dir (an os.Root inside its
// root) where files are being created. Creating a file through it, and
// renaming it into place, is one system call each; through the save dir's
// root, each would walk the path from the top again (an open, a check and
// a close per segment), which made saving a page cost more than fetching
// it. A Dir keeps the handles of the directories it used last, up to
// maxHandles; a handle in use is never closed.
type handle struct {
	dir  string      // the directory, relative to the save dir, after fallbacks
	root *os.Root    // the directory
	id   fs.FileInfo // of the directory when opened, to tell it from another
	refs int         // Files using it; guarded by handles.mu
	kept bool        // in handles.m; guarded by handles.mu
}

// handles is a Dir's set of open directory handles, by the directory path
// asked for (before fallbacks).
type handles struct {
	mu sync.Mutex
	m  map[string]*handle
}

// acquire returns a handle of directory dir (a clean slash-separated path,
// or "" for the top), creating the directories as mkdirs does. The caller
// must release it.
//
// A kept handle is used again only while its path still leads to it: an
// open directory follows itself when moved, so a directory renamed or
// moved away (even out of the save dir) under the crawl would otherwise
// receive files recorded under the old path. The check (leadsTo) is one
// stat of the path.
func (d *Dir) acquire(dir string) (*handle, error) {
	hs := &d.handles
	hs.mu.Lock()
	if h, ok := hs.m[dir]; ok {
		h.refs++
		hs.mu.Unlock()
		if d.leadsTo(h) {
			return h, nil
		}
		d.forget(dir, h)
		d.release(h)
	} else {
		hs.mu.Unlock()
	}

	used, err := d.mkdirs(dir)
	if err != nil {
		return nil, err
	}
	root, err := d.root.OpenRoot(used)
	if err != nil {
		return nil, pathless(err)
	}
	id, err := root.Stat(".")
	if err != nil {
		return nil, errors.Join(pathless(err), root.Close())
	}
	h := &handle{dir: used, root: root, id: id, refs: 1}

	hs.mu.Lock()
	defer hs.mu.Unlock()
	if other, ok := hs.m[dir]; ok { // opened meanwhile by another goroutine
		other.refs++
		root.Close()
		return other, nil
	}
	if len(hs.m) >= maxHandles {
		for k, old := range hs.m {
			if old.refs == 0 {
				delete(hs.m, k)
				old.kept = false
				old.root.Close()
				break
			}
		}
	}
	if len(hs.m) < maxHandles {
		if hs.m == nil {
			hs.m = make(map[string]*handle)
		}
		hs.m[dir] = h
		h.kept = true
	}
	return h, nil
}

// release ends a use of h; a handle that is not kept is closed when its
// last use ends.
func (d *Dir) release(h *handle) {
	hs := &d.handles
	hs.mu.Lock()
	defer hs.mu.Unlock()
	h.refs--
	if h.refs == 0 && !h.kept {
		h.root.Close()
	}
}

// forget drops h from the kept handles, so that the next acquire of its
// directory walks the path again: its directory was removed, moved or
// replaced under the crawl. A forgotten handle is closed when no File
// uses it.
func (d *Dir) forget(dir string, h *handle) {
	hs := &d.handles
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.m[dir] == h {
		delete(hs.m, dir)
		h.kept = false
		if h.refs == 0 {
			h.root.Close()
		}
	}
}

// closeHandles closes every kept handle.
func (d *Dir) closeHandles() error {
	hs := &d.handles
	hs.mu.Lock()
	defer hs.mu.Unlock()
	var errs []error
	for k, h := range hs.m {
		delete(hs.m, k)
		h.kept = false
		if h.refs == 0 {
			errs = append(errs, h.root.Close())
		}
	}
	return errors.Join(errs...)
}

// stale reports whether err says a handle's directory is gone.
func stale(err error) bool { return errors.Is(err, fs.ErrNotExist) }
