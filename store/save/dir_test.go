package save

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestOpenCreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	d, err := Open(dir)
	if err != nil {
		t.Fatalf("Open(%q) = %v", dir, err)
	}
	defer d.Close()
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		t.Fatalf("Stat(%q) = %v, %v; want a directory", dir, fi, err)
	}
	if got := tree(t, dir); len(got) != 0 {
		t.Errorf("Open left %q, want no probe file", got)
	}
}

func TestOpenErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, dir string }{
		{"dir is a file", file},
		{"parent is a file", filepath.Join(file, "d")},
	}
	if os.Geteuid() != 0 { // root ignores the mode
		ro := filepath.Join(t.TempDir(), "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct{ name, dir string }{"unwritable", ro})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Open(tt.dir)
			if err == nil {
				d.Close()
				t.Fatalf("Open(%q) = nil error, want one", tt.dir)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "save dir "+tt.dir+": ") || strings.Contains(msg, "\n") {
				t.Errorf("Open(%q) = %q, want one line \"save dir %s: REASON\"", tt.dir, msg, tt.dir)
			}
			if strings.Count(msg, tt.dir) != 1 {
				t.Errorf("Open(%q) = %q, want the dir named once", tt.dir, msg)
			}
		})
	}
}

func TestCommit(t *testing.T) {
	d, dir := openDir(t)
	body := strings.Repeat("hello, crawl\n", 1000)
	f, err := d.Create("a.example/docs/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for chunk := range slices.Chunk([]byte(body), 333) {
		if n, err := f.Write(chunk); n != len(chunk) || err != nil {
			t.Fatalf("Write(%d bytes) = %d, %v", len(chunk), n, err)
		}
	}
	if f.Size() != int64(len(body)) {
		t.Errorf("Size() = %d, want %d", f.Size(), len(body))
	}

	// Before Commit: only the temporary file, not the final name.
	files := tree(t, dir)
	if len(files) != 1 || !strings.HasPrefix(files[0], "a.example/docs/.#save-") {
		t.Fatalf("before Commit the dir holds %q, want one temporary file in a.example/docs", files)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.example/docs/index.html")); !os.IsNotExist(err) {
		t.Fatalf("before Commit Stat(index.html) = %v, want not exist", err)
	}

	rel, sum, err := f.Commit()
	if err != nil {
		t.Fatalf("Commit() = %v", err)
	}
	want := sha256.Sum256([]byte(body))
	if rel != "a.example/docs/index.html" || sum != hex.EncodeToString(want[:]) {
		t.Errorf("Commit() = %q, %q; want %q, %x", rel, sum, "a.example/docs/index.html", want)
	}
	if got := readFile(t, dir, rel); got != body {
		t.Errorf("saved %d bytes, want %d", len(got), len(body))
	}
	if got := tree(t, dir); !slices.Equal(got, []string{rel}) {
		t.Errorf("after Commit the dir holds %q, want only %q", got, rel)
	}
	if err := f.Abort(); err != nil {
		t.Errorf("Abort() after Commit = %v, want nil", err)
	}
	if _, _, err := f.Commit(); err == nil {
		t.Error("second Commit() = nil error, want one")
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Error("Write() after Commit = nil error, want one")
	}
}

func TestCommitEmptyAndTop(t *testing.T) {
	d, dir := openDir(t)
	rel, sum, err := func() (string, string, error) {
		f, err := d.Create("top")
		if err != nil {
			return "", "", err
		}
		return f.Commit()
	}()
	empty := sha256.Sum256(nil)
	if err != nil || rel != "top" || sum != hex.EncodeToString(empty[:]) {
		t.Fatalf("Commit() of an empty body = %q, %q, %v; want top, %x, nil", rel, sum, err, empty)
	}
	if got := readFile(t, dir, rel); got != "" {
		t.Errorf("saved %q, want empty", got)
	}
}

func TestCommitReplaces(t *testing.T) {
	d, dir := openDir(t)
	save(t, d, "h/a.html", "first")
	rel, _ := save(t, d, "h/a.html", "second")
	if got := readFile(t, dir, rel); rel != "h/a.html" || got != "second" {
		t.Errorf("second save went to %q holding %q, want h/a.html holding second", rel, got)
	}
}

func TestAbort(t *testing.T) {
	d, dir := openDir(t)
	f, err := d.Create("h/x/y.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Fatalf("Abort() = %v", err)
	}
	if got := tree(t, dir); len(got) != 0 {
		t.Errorf("after Abort the dir holds %q, want no files", got)
	}
	if err := f.Abort(); err != nil {
		t.Errorf("second Abort() = %v, want nil", err)
	}
	if _, _, err := f.Commit(); err == nil {
		t.Error("Commit() after Abort = nil error, want one")
	}
}

func TestFailedWrite(t *testing.T) {
	for _, end := range []string{"commit", "abort"} {
		t.Run(end, func(t *testing.T) {
			d, dir := openDir(t)
			f, err := d.Create("h/x")
			if err != nil {
				t.Fatal(err)
			}
			f.f.Close() // make the next Write fail
			if _, err := f.Write([]byte("x")); err == nil || !strings.HasPrefix(err.Error(), "save h/x: ") {
				t.Fatalf("Write() to a closed file = %v, want \"save h/x: ...\"", err)
			}
			if _, err := f.Write([]byte("y")); err == nil {
				t.Fatal("second Write() = nil error, want the first one again")
			}
			if end == "commit" {
				if _, _, err := f.Commit(); err == nil {
					t.Error("Commit() after a failed Write = nil error, want one")
				}
			} else if err := f.Abort(); err != nil {
				t.Errorf("Abort() after a failed Write = %v", err)
			}
			if got := tree(t, dir); len(got) != 0 {
				t.Errorf("the dir holds %q, want no files", got)
			}
		})
	}
}

func TestCreateRejects(t *testing.T) {
	d, _ := openDir(t)
	for _, rel := range []string{"", ".", "..", "../x", "/x", "a/../b", "a//b", "a/", "./a", "a\x00b", `a\b`} {
		if f, err := d.Create(rel); err == nil {
			f.Abort()
			t.Errorf("Create(%q) = nil error, want one", rel)
		}
	}
}

func TestConcurrentSameFile(t *testing.T) {
	d, dir := openDir(t)
	var wg sync.WaitGroup
	bodies := []string{"one", "two", "three", "four"}
	for _, b := range bodies {
		wg.Go(func() {
			f, err := d.Create("h/same")
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Abort()
			if _, err := f.Write([]byte(b)); err != nil {
				t.Error(err)
				return
			}
			if _, _, err := f.Commit(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := readFile(t, dir, "h/same"); !slices.Contains(bodies, got) {
		t.Errorf("h/same holds %q, want one whole body of %q", got, bodies)
	}
	if got := tree(t, dir); !slices.Equal(got, []string{"h/same"}) {
		t.Errorf("the dir holds %q, want only h/same", got)
	}
}

// TestRemoveTemporary: the temporary files an owner's saves left
// unfinished (a killed process) are removed wherever they are; saved
// bodies stay, and so do files named like them by someone else and the
// temporary files of another owner saving into the same dir.
func TestRemoveTemporary(t *testing.T) {
	dir := t.TempDir()
	open := func(owner string) *Dir {
		d, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		d.SetOwner(owner)
		t.Cleanup(func() { d.Close() })
		return d
	}
	killed, other, resumed := open("/state/a"), open("/state/b"), open("/state/a")
	save(t, killed, "h/a/b.html", "kept")
	save(t, killed, "h/index.html", "kept")
	leave := func(d *Dir, rel string) {
		f, err := d.Create(rel)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("never committed"))
		f.f.Close() // what a kill leaves: the file, no Commit or Abort
	}
	leave(killed, "h/a/b.html")
	leave(killed, "h/x/y/z")
	want := []string{"h/a/b.html", "h/index.html"}
	before := tree(t, dir)
	leave(other, "h/other") // in progress in another crawl
	leave(open(""), "h/plain")
	for _, p := range tree(t, dir) {
		if !slices.Contains(before, p) {
			want = append(want, p)
		}
	}
	for _, name := range []string{".#notes", ".#save-xyz", ".#save-0123456789abcdef0"} {
		if err := os.WriteFile(filepath.Join(dir, "h", name), []byte("theirs"), 0o644); err != nil {
			t.Fatal(err)
		}
		want = append(want, "h/"+name)
	}
	n, err := resumed.RemoveTemporary()
	if err != nil || n != 2 {
		t.Fatalf("RemoveTemporary = %d, %v; want 2", n, err)
	}
	slices.Sort(want)
	if got := tree(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("tree %v, want %v", got, want)
	}
	if n, err := open("").RemoveTemporary(); n != 0 || err != nil {
		t.Errorf("RemoveTemporary without an owner = %d, %v; want 0, nil", n, err)
	}
}

// TestRemoveTemporaryUnreadable: a subdirectory that cannot be read is
// skipped, not a reason to refuse the resume.
func TestRemoveTemporaryUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any directory")
	}
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	d.SetOwner("owner")
	defer d.Close()
	save(t, d, "h/locked/a", "1")
	locked := filepath.Join(dir, "h", "locked")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	if _, err := d.RemoveTemporary(); err != nil {
		t.Errorf("RemoveTemporary = %v, want nil", err)
	}
}
