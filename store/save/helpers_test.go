package save

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// openDir opens a save dir in a fresh temporary directory.
func openDir(t *testing.T) (*Dir, string) {
	t.Helper()
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatalf("Open(%q) = %v", dir, err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return d, dir
}

// save creates rel, writes body and commits it.
func save(t *testing.T, d *Dir, rel, body string) (string, string) {
	t.Helper()
	f, err := d.Create(rel)
	if err != nil {
		t.Fatalf("Create(%q) = %v", rel, err)
	}
	if _, err := f.Write([]byte(body)); err != nil {
		t.Fatalf("Write() = %v", err)
	}
	got, sum, err := f.Commit()
	if err != nil {
		t.Fatalf("Commit() of %q = %v", rel, err)
	}
	return got, sum
}

// tree lists the files and symbolic links under dir (not the
// directories), as slash-separated relative paths, sorted.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return names
}

// readFile reads rel under dir.
func readFile(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
