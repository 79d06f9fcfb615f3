package save

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestFileThenDir saves a file "h/a" (a PDF at /a, say), then a body that
// needs a directory "h/a": the directory takes the fallback name and the
// file stays.
func TestFileThenDir(t *testing.T) {
	d, dir := openDir(t)
	save(t, d, "h/a", "file")
	rel, _ := save(t, d, "h/a/b", "under")
	want := "h/" + fallbackName("a") + "/b"
	if rel != want {
		t.Errorf("Commit() of h/a/b = %q, want %q", rel, want)
	}
	if got := readFile(t, dir, "h/a"); got != "file" {
		t.Errorf("h/a holds %q, want file", got)
	}
	if got := readFile(t, dir, want); got != "under" {
		t.Errorf("%s holds %q, want under", want, got)
	}
	// The fallback is deterministic: a sibling goes the same way.
	if rel, _ := save(t, d, "h/a/c", "sibling"); rel != "h/"+fallbackName("a")+"/c" {
		t.Errorf("Commit() of h/a/c = %q, want it next to %q", rel, want)
	}
}

// TestDirThenFile saves "h/a/b" first, then a body for "h/a": the file
// takes the fallback name and the directory stays.
func TestDirThenFile(t *testing.T) {
	d, dir := openDir(t)
	save(t, d, "h/a/b", "under")
	rel, _ := save(t, d, "h/a", "file")
	if want := "h/" + fallbackName("a"); rel != want {
		t.Errorf("Commit() of h/a = %q, want %q", rel, want)
	}
	if got := readFile(t, dir, "h/a/b"); got != "under" {
		t.Errorf("h/a/b holds %q, want under", got)
	}
	if got := readFile(t, dir, rel); got != "file" {
		t.Errorf("%s holds %q, want file", rel, got)
	}
	// Saved again, it replaces its own fallback file.
	if rel2, _ := save(t, d, "h/a", "again"); rel2 != rel || readFile(t, dir, rel) != "again" {
		t.Errorf("second Commit() of h/a = %q, want %q replaced", rel2, rel)
	}
}

func TestFallbackKeepsExtension(t *testing.T) {
	d, _ := openDir(t)
	save(t, d, "h/r.pdf/x", "under")
	rel, _ := save(t, d, "h/r.pdf", "pdf")
	if want := "h/r~" + hashHex("r.pdf", 8) + ".pdf"; rel != want {
		t.Errorf("Commit() of h/r.pdf = %q, want %q", rel, want)
	}
}

// TestBothNamesTaken fails, and says so, when the fallback is taken too.
func TestBothNamesTaken(t *testing.T) {
	d, dir := openDir(t)
	for _, p := range []string{"h/a/x", "h/" + fallbackName("a") + "/x"} {
		save(t, d, p, "x")
	}
	f, err := d.Create("h/a")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Commit(); err == nil {
		t.Fatal("Commit() with both names taken by directories = nil error, want one")
	}
	if got := tree(t, dir); len(got) != 2 {
		t.Errorf("the dir holds %q, want the two first files only", got)
	}
}

// TestSymlinkOut plants symbolic links inside the save dir that point
// outside it; saving through them must never write outside.
func TestSymlinkOut(t *testing.T) {
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, dir := openDir(t)
	if err := os.Mkdir(filepath.Join(dir, "h"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"h/dirlink":  outside, // absolute, to a directory outside
		"h/rellink":  "../../" + filepath.Base(outside),
		"h/filelink": victim,
		"h/dangling": filepath.Join(outside, "missing"),
		"h/dangdir":  filepath.Join(outside, "missingdir"),
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}

	for _, rel := range []string{"h/dirlink/x", "h/dirlink/sub/x", "h/rellink/x", "h/filelink", "h/dangling", "h/dangdir/x"} {
		t.Run(rel, func(t *testing.T) {
			f, err := d.Create(rel)
			if err != nil {
				t.Logf("Create(%q) = %v", rel, err) // an error is fine
				return
			}
			defer f.Abort()
			if _, err := f.Write([]byte("evil")); err != nil {
				t.Fatal(err)
			}
			got, _, err := f.Commit()
			if err != nil {
				t.Logf("Commit() = %v", err) // so is this
				return
			}
			if got == rel {
				t.Errorf("Commit() = %q, through the link; want a fallback", got)
			}
			fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(got)))
			if err != nil || !fi.Mode().IsRegular() {
				t.Errorf("Lstat(%q) = %v, %v; want a regular file inside the dir", got, fi, err)
			}
		})
	}
	if got := tree(t, outside); !slices.Equal(got, []string{"victim"}) {
		t.Errorf("outside the dir: %q, want only victim", got)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("victim holds %q, want keep", b)
	}
	for name, target := range links {
		if got, err := os.Readlink(filepath.Join(dir, name)); err != nil || got != target {
			t.Errorf("Readlink(%s) = %q, %v; want the link left as it was", name, got, err)
		}
	}
}

// TestSymlinkInside follows a link that stays inside the save dir, as
// os.Root allows.
func TestSymlinkInside(t *testing.T) {
	d, dir := openDir(t)
	save(t, d, "h/real/x", "x")
	if err := os.Symlink("real", filepath.Join(dir, "h", "alias")); err != nil {
		t.Fatal(err)
	}
	if rel, _ := save(t, d, "h/alias/y", "y"); rel != "h/alias/y" || readFile(t, dir, "h/real/y") != "y" {
		t.Errorf("Commit() of h/alias/y = %q, want it saved in h/real", rel)
	}
}
