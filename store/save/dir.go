package save

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Dir is a save directory. All its file operations go through an os.Root,
// so none reaches outside the directory. A Dir is safe for concurrent use.
type Dir struct {
	root    *os.Root
	top     *os.File // the directory, for Sync and leadsTo
	topFd   int      // top's descriptor
	tag     string   // of the owner (SetOwner), in temporary names; "" for none
	handles handles
}

// Open opens the directory dir that a user named for --save, creating it
// and its parents (mode 0755 before umask) when missing, and checks that
// files can be created in it by creating and removing a probe file.
// Errors are one line: "save dir DIR: REASON".
func Open(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("save dir %s: %w", dir, pathless(err))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("save dir %s: %w", dir, pathless(err))
	}
	top, err := root.Open(".")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("save dir %s: %w", dir, pathless(err)), root.Close())
	}
	d := &Dir{root: root, top: top, topFd: int(top.Fd())}
	probe := d.tempName("probe")
	f, err := root.OpenFile(probe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err == nil {
		err = errors.Join(f.Close(), root.Remove(probe))
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("save dir %s: cannot create files: %w", dir, pathless(err)), top.Close(), root.Close())
	}
	return d, nil
}

// SetOwner names who saves into d from now on: a crawl that can be
// resumed passes an identity of its own that it keeps between runs (crawl
// --state keeps a random one in its state directory), and the names of
// its temporary files carry a tag of it, by which RemoveTemporary finds
// them. It must be called before the first Create, if at all.
func (d *Dir) SetOwner(owner string) { d.tag = ownerTag(owner) }

// Sync makes every file committed so far durable: on Linux one syncfs(2)
// of the file system that holds the directory (the files and their
// directory entries), on other Unix systems a sync(2) of every file
// system, on Windows nothing (sync_windows.go says why). One call
// per batch of files costs far less than an fsync of each file and of its
// directory.
func (d *Dir) Sync() error {
	if err := syncFS(d.top); err != nil {
		return fmt.Errorf("save dir: sync: %w", err)
	}
	return nil
}

// RemoveTemporary removes the temporary files that processes of the
// owner killed while saving left anywhere in the directory, and returns
// how many it removed: the files named as tempName names saves with the
// owner's tag, which no saved body's name, nor another owner's file, can
// be. It must run when no other process of the owner saves into the
// directory (a resumed crawl's lock says so); other owners' files are
// left alone. Without an owner it removes nothing. A subdirectory that
// cannot be read is skipped.
func (d *Dir) RemoveTemporary() (int, error) {
	if d.tag == "" {
		return 0, nil
	}
	n := 0
	err := fs.WalkDir(d.root.FS(), ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			return nil // unreadable: leave it as it is
		}
		if !e.Type().IsRegular() || !d.isTempName(e.Name()) {
			return nil
		}
		if err := d.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("save dir: remove temporary files: %w", pathless(err))
	}
	return n, nil
}

// Close closes the directory. Files created and not yet committed or
// aborted must not be used after it.
func (d *Dir) Close() error {
	return errors.Join(d.closeHandles(), d.top.Close(), d.root.Close())
}

// Create starts the file that will hold the body for rel, a PathFor
// result: a temporary file in the target's directory, whose missing
// directories it creates (mode 0755 before umask). Where a file, or a
// symbolic link that does not lead to a directory inside d, has a
// directory's place, the directory gets the fallback name described in
// the package documentation instead. rel must be a clean, slash-separated
// path inside d (fs.ValidPath, not "."). The caller must Commit or Abort
// the file.
func (d *Dir) Create(rel string) (*File, error) {
	if !fs.ValidPath(rel) || rel == "." || strings.ContainsAny(rel, "\x00\\") {
		return nil, fmt.Errorf("save %s: not a path inside the save dir", rel)
	}
	dir, name := path.Split(rel)
	dir = strings.TrimSuffix(dir, "/")
	tmp := d.tempName("save")
	for attempt := 0; ; attempt++ {
		h, err := d.acquire(dir)
		if err != nil {
			return nil, fmt.Errorf("save %s: %w", rel, err)
		}
		f, err := h.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return &File{d: d, h: h, rel: rel, key: dir, name: name, tmp: tmp, f: f, sum: sha256.New()}, nil
		}
		d.release(h)
		if attempt == 0 && stale(err) {
			d.forget(dir, h) // its directory was removed: make it again
			continue
		}
		return nil, fmt.Errorf("save %s: %w", rel, pathless(err))
	}
}

// mkdirs creates the directories of dir, a clean slash-separated path or
// "", one by one, giving a segment its fallback name where something
// other than a directory holds its place. It returns the path of the
// directories actually used.
func (d *Dir) mkdirs(dir string) (string, error) {
	if dir == "" {
		return ".", nil
	}
	cur := ""
	for _, seg := range strings.Split(dir, "/") {
		p := path.Join(cur, seg)
		ok, err := d.ensureDir(p)
		if err != nil {
			return "", err
		}
		if !ok {
			p = path.Join(cur, fallbackName(seg))
			if ok, err = d.ensureDir(p); err != nil {
				return "", err
			}
			if !ok {
				return "", fmt.Errorf("neither %s nor %s can be a directory", path.Join(cur, seg), p)
			}
		}
		cur = p
	}
	return cur, nil
}

// ensureDir makes p a directory if nothing is there. It reports whether p
// is now a directory inside d; false, with no error, when something else
// holds the name: a file, or a symbolic link leading outside d, nowhere,
// or to a non-directory.
func (d *Dir) ensureDir(p string) (bool, error) {
	err := d.root.Mkdir(p, 0o755)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return false, pathless(err)
	}
	fi, err := d.root.Lstat(p)
	if err != nil {
		return false, pathless(err)
	}
	switch {
	case fi.IsDir():
		return true, nil
	case fi.Mode()&fs.ModeSymlink != 0:
		// Root follows a link only while it stays inside; one that
		// leaves, dangles or loops fails Stat and is not a directory.
		fi, err = d.root.Stat(p)
		return err == nil && fi.IsDir(), nil
	}
	return false, nil
}

// tempName returns a fresh name for a temporary file of the given kind:
// ".#KIND-" then the owner's tag and '-', if d has an owner, then 16
// random hex digits. It contains '#', which PathFor always escapes, so it
// is never the name of a saved body.
func (d *Dir) tempName(kind string) string {
	var b [8]byte
	rand.Read(b[:]) // never fails: crypto/rand crashes the program instead
	name := ".#" + kind + "-"
	if d.tag != "" {
		name += d.tag + "-"
	}
	return name + hex.EncodeToString(b[:])
}

// isTempName reports whether name is one that d.tempName("save") returns
// with d's owner tag. (Open's probe is made before SetOwner, and removed
// at once: it is never tagged.)
func (d *Dir) isTempName(name string) bool {
	rest, ok := strings.CutPrefix(name, ".#save-"+d.tag+"-")
	return ok && d.tag != "" && len(rest) == 16 && isLowerHex(rest)
}

// ownerTag is the tag of owner in temporary names: 8 hex digits of its
// sha256, or "" for no owner.
func ownerTag(owner string) string {
	if owner == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(owner))
	return hex.EncodeToString(sum[:4])
}

func isLowerHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// pathless drops the path from an *fs.PathError or *os.LinkError, which
// our messages name already; errors.Is still sees the reason.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
