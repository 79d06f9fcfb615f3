package save

import (
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path"
)

// File is a body being saved: a temporary file that Commit renames into
// place and Abort removes. It belongs to one goroutine. Exactly one of
// Commit and Abort should be called, also after a failed Write; Abort
// after Commit does nothing, so a deferred Abort is always safe.
type File struct {
	d    *Dir
	h    *handle // the directory it is in; released by Commit and Abort
	rel  string  // as asked of Create, for messages
	key  string  // the directory asked for, h's key in the Dir's handles
	name string  // file name asked for
	tmp  string  // name of the temporary file, in the same directory
	f    *os.File
	sum  hash.Hash
	n    int64
	err  error // first Write error
	done bool  // committed or aborted
}

// Write writes p to the temporary file, hashing and counting the bytes
// written. An error is kept: later Writes return it, and Commit does not
// commit.
func (f *File) Write(p []byte) (int, error) {
	if f.done {
		return 0, fmt.Errorf("save %s: file already committed or aborted", f.rel)
	}
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.f.Write(p)
	f.sum.Write(p[:n])
	f.n += int64(n)
	if err != nil {
		f.err = fmt.Errorf("save %s: %w", f.rel, pathless(err))
	}
	return n, f.err
}

// Size is the number of bytes written so far.
func (f *File) Size() int64 { return f.n }

// Commit makes the body visible under its final name, whole: it closes
// the temporary file and renames it over the target, so a reader (or a
// process killed at any moment) sees the whole body or none of it. It
// does not fsync: Dir.Sync makes every file committed so far durable at
// once, which is what a crawl that must survive a power loss calls before
// it commits their records. Where a directory (or a symbolic link) holds
// the target's name, the body takes the fallback name in the same
// directory. It returns the path used, relative to the save dir and
// slash-separated, and the hex sha256 of the body. On any error, a
// Write's included, the temporary file is removed and nothing is
// committed, with one exception: when the directory was moved or
// replaced since Create, the body is in it, wherever it went, and the
// error says so.
func (f *File) Commit() (rel, sha256hex string, err error) {
	if f.done {
		return "", "", fmt.Errorf("save %s: file already committed or aborted", f.rel)
	}
	f.done = true
	defer f.d.release(f.h)
	if f.err != nil {
		return "", "", errors.Join(f.err, f.cleanup())
	}
	if err := f.f.Close(); err != nil {
		return "", "", errors.Join(fmt.Errorf("save %s: %w", f.rel, pathless(err)), f.remove())
	}
	target, err := f.rename()
	if err != nil {
		return "", "", errors.Join(fmt.Errorf("save %s: %w", f.rel, err), f.remove())
	}
	return target, hex.EncodeToString(f.sum.Sum(nil)), nil
}

// rename moves the temporary file to its name, or to the fallback name
// when something other than a regular file holds it, and returns the
// path used. A regular file under the name is replaced.
func (f *File) rename() (string, error) {
	name := f.name
	if !f.replaceable(name) {
		name = fallbackName(f.name)
		if !f.replaceable(name) {
			return "", fmt.Errorf("neither %s nor %s can be a file", path.Join(f.h.dir, f.name), path.Join(f.h.dir, name))
		}
	}
	if err := f.h.root.Rename(f.tmp, name); err != nil {
		return "", pathless(err)
	}
	// The directory may have been moved since Create (an open directory
	// follows itself): then the body went with it, and the path would be
	// a lie. The temporary file is gone, so remove() finds nothing.
	if !f.d.leadsTo(f.h) {
		f.d.forget(f.key, f.h)
		return "", fmt.Errorf("directory %s was moved or replaced while the body was saved; the body went with it", f.h.dir)
	}
	return path.Join(f.h.dir, name), nil
}

// replaceable reports whether a rename onto name, in the file's
// directory, would put the body there: name is missing or a regular file.
// A directory is not, nor is a symbolic link, which the body would replace
// but which was not ours to replace.
func (f *File) replaceable(name string) bool {
	fi, err := f.h.root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	return err == nil && fi.Mode().IsRegular()
}

// Abort removes the temporary file. After Commit, or a second time, it
// does nothing and returns nil.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	defer f.d.release(f.h)
	if err := f.cleanup(); err != nil {
		return fmt.Errorf("save %s: abort: %w", f.rel, err)
	}
	return nil
}

// cleanup closes and removes the temporary file.
func (f *File) cleanup() error {
	cerr := f.f.Close()
	if errors.Is(cerr, os.ErrClosed) {
		cerr = nil
	}
	return errors.Join(pathless(cerr), f.remove())
}

func (f *File) remove() error {
	err := f.h.root.Remove(f.tmp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return pathless(err)
}
