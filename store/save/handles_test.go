package save

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestHandlesBounded: with more directories in use at once than a Dir
// keeps handles of, every file still commits, no more than maxHandles are
// kept, and those not kept are closed when their last file is done.
func TestHandlesBounded(t *testing.T) {
	d, dir := openDir(t)
	const n = maxHandles + 8
	files := make([]*File, n)
	for i := range files {
		f, err := d.Create(fmt.Sprintf("h/d%02d/f", i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		files[i] = f
	}
	if len(d.handles.m) > maxHandles {
		t.Errorf("%d handles kept, want at most %d", len(d.handles.m), maxHandles)
	}
	for i, f := range files {
		h := f.h
		if _, _, err := f.Commit(); err != nil {
			t.Fatalf("Commit %d: %v", i, err)
		}
		_, err := h.root.Stat(".")
		if closed := errors.Is(err, os.ErrClosed); closed == h.kept {
			t.Errorf("file %d: handle kept %v, closed %v (%v)", i, h.kept, closed, err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "h", fmt.Sprintf("d%02d", i), "f"))
		if err != nil || len(b) != 1 || b[0] != byte(i) {
			t.Errorf("file %d reads %v, %v", i, b, err)
		}
	}
}

// TestRemovedDirectory: when a directory the Dir has a handle of is
// removed under it, the next file there makes it again.
func TestRemovedDirectory(t *testing.T) {
	d, dir := openDir(t)
	save(t, d, "a/b/x", "1")
	if err := os.RemoveAll(filepath.Join(dir, "a")); err != nil {
		t.Fatal(err)
	}
	if got, _ := save(t, d, "a/b/y", "2"); got != "a/b/y" {
		t.Errorf("saved as %q, want a/b/y", got)
	}
	if want := []string{"a/b/y"}; fmt.Sprint(tree(t, dir)) != fmt.Sprint(want) {
		t.Errorf("tree %v, want %v", tree(t, dir), want)
	}
}

// TestConcurrentManyDirs: goroutines saving into more directories than
// are kept, at once, leave every file whole (run with -race).
func TestConcurrentManyDirs(t *testing.T) {
	d, dir := openDir(t)
	const workers, each, dirs = 8, 40, maxHandles + 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				rel := fmt.Sprintf("d%02d/w%d-%d", (w*each+i)%dirs, w, i)
				f, err := d.Create(rel)
				if err != nil {
					t.Error(err)
					return
				}
				f.Write([]byte(rel))
				if _, _, err := f.Commit(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := tree(t, dir)
	if len(got) != workers*each {
		t.Fatalf("%d files, want %d", len(got), workers*each)
	}
	for _, rel := range got {
		if b, err := os.ReadFile(filepath.Join(dir, rel)); err != nil || string(b) != rel {
			t.Errorf("%s holds %q (%v)", rel, b, err)
		}
	}
}

// TestMovedDirectory: a directory moved under the Dir, within the save
// dir or out of it, does not take the next files with it: they land at
// the path they are recorded under.
func TestMovedDirectory(t *testing.T) {
	for _, tc := range []struct {
		name string
		dest func(t *testing.T, dir string) string // where a/b goes
	}{
		{"within", func(t *testing.T, dir string) string { return filepath.Join(dir, "moved") }},
		{"out", func(t *testing.T, dir string) string { return filepath.Join(t.TempDir(), "moved") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, dir := openDir(t)
			save(t, d, "a/b/x", "1")
			dest := tc.dest(t, dir)
			if err := os.Rename(filepath.Join(dir, "a", "b"), dest); err != nil {
				t.Fatal(err)
			}
			if got, _ := save(t, d, "a/b/y", "2"); got != "a/b/y" {
				t.Errorf("saved as %q, want a/b/y", got)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "a", "b", "y")); err != nil || string(b) != "2" {
				t.Errorf("a/b/y reads %q, %v", b, err)
			}
			if _, err := os.Stat(filepath.Join(dest, "y")); err == nil {
				t.Errorf("y was written into the moved directory %s", dest)
			}
		})
	}
}

// TestForgetCloses: a handle dropped because its directory went is
// closed once no file uses it, so removed directories leak no
// descriptors.
func TestForgetCloses(t *testing.T) {
	d, dir := openDir(t)
	save(t, d, "a/x", "1")
	old := d.handles.m["a"]
	if old == nil {
		t.Fatal("no handle kept for a")
	}
	if err := os.RemoveAll(filepath.Join(dir, "a")); err != nil {
		t.Fatal(err)
	}
	save(t, d, "a/y", "2")
	if _, err := old.root.Stat("."); !errors.Is(err, os.ErrClosed) {
		t.Errorf("handle of the removed directory still open: Stat = %v", err)
	}
	if d.handles.m["a"] == old {
		t.Error("handle of the removed directory still kept")
	}
}

// TestMovedBeforeCommit: a directory moved while a body is being saved
// into it makes Commit fail, saying where the body went, instead of
// returning a path that does not hold it; the next file lands at its path.
func TestMovedBeforeCommit(t *testing.T) {
	d, dir := openDir(t)
	save(t, d, "a/b/x", "1")
	f, err := d.Create("a/b/y")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("2"))
	dest := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(filepath.Join(dir, "a", "b"), dest); err != nil {
		t.Fatal(err)
	}
	if rel, _, err := f.Commit(); err == nil || !strings.Contains(err.Error(), "moved") {
		t.Errorf("Commit = %q, %v; want an error saying the directory moved", rel, err)
	}
	if got, _ := save(t, d, "a/b/z", "3"); got != "a/b/z" {
		t.Errorf("saved as %q, want a/b/z", got)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a", "b", "z")); err != nil || string(b) != "3" {
		t.Errorf("a/b/z reads %q, %v", b, err)
	}
}
