package disk

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/crawl-dev/crawl/frontier"
)

// newState makes a closed state in a new directory with a few items, one
// of them done, and returns the directory.
func newState(t *testing.T, opts Options) string {
	t.Helper()
	dir := t.TempDir()
	d := open(t, dir, frontier.Policy{}, opts)
	add(t, d, item("a.test", "1", 0), item("a.test", "2", 0), item("a.test", "3", 0), item("b.test", "1", 0))
	complete(t, d, next(t, d))
	closeDisk(t, d)
	return dir
}

func TestLocked(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir, frontier.Policy{}, Options{})
	if d2, err := Open(dir, frontier.Policy{}, Options{}); !errors.Is(err, ErrLocked) {
		if err == nil {
			closeDisk(t, d2)
		}
		t.Fatalf("second Open in this process: %v, want ErrLocked", err)
	}
	out, err := lockChild(t, dir)
	if err != nil {
		t.Fatalf("Open in another process: %v; its output:\n%s", err, out)
	}
	closeDisk(t, d)
	// Released by Close.
	closeDisk(t, open(t, dir, frontier.Policy{}, Options{}))
}

const lockChildEnv = "CRAWL_DISK_TEST_LOCK_DIR"

// lockChild runs TestLockChild in a new process of the test binary, which
// fails unless its Open of dir answers ErrLocked.
func lockChild(t *testing.T, dir string) ([]byte, error) {
	cmd := exec.CommandContext(ctxT(t), os.Args[0], "-test.run=^TestLockChild$", "-test.v")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err == nil && !bytes.Contains(out, []byte("child: locked")) {
		err = errors.New("the child did not run")
	}
	return out, err
}

// TestLockChild is the other process of TestLocked; it does nothing unless
// started by it.
func TestLockChild(t *testing.T) {
	dir := os.Getenv(lockChildEnv)
	if dir == "" {
		t.Skip("runs only as the child process of TestLocked")
	}
	d, err := Open(dir, frontier.Policy{}, Options{})
	if !errors.Is(err, ErrLocked) {
		if err == nil {
			closeDisk(t, d)
		}
		t.Fatalf("child: Open: %v, want ErrLocked", err)
	}
	fmt.Println("child: locked")
}

func TestIncompatible(t *testing.T) {
	dir := newState(t, Options{})
	rewrite(t, dir, func(b *pebble.Batch) error { return b.Set(keyVersion, []byte{formatVersion + 1}, nil) })
	_, err := Open(dir, frontier.Policy{}, Options{})
	if !errors.Is(err, ErrIncompatible) {
		t.Fatalf("Open of a format %d state: %v, want ErrIncompatible", formatVersion+1, err)
	}
	if !strings.Contains(err.Error(), "format version 2") {
		t.Errorf("error %q does not name the version", err)
	}
}

func TestMismatch(t *testing.T) {
	tests := []struct {
		name         string
		stored, open []byte
		want         error
	}{
		{"same", []byte("crawl-a"), []byte("crawl-a"), nil},
		{"other", []byte("crawl-a"), []byte("crawl-b"), ErrMismatch},
		{"none then some", nil, []byte("crawl-a"), ErrMismatch},
		{"some then none", []byte("crawl-a"), nil, ErrMismatch},
		{"nil and empty", nil, []byte{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newState(t, Options{Fingerprint: tt.stored})
			d, err := Open(dir, frontier.Policy{}, Options{Fingerprint: tt.open})
			if err == nil {
				closeDisk(t, d)
			}
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Open with fingerprint %q of a %q state: %v, want %v", tt.open, tt.stored, err, tt.want)
			}
		})
	}
}

// TestCorrupt: directories that do not hold a readable frontier state are
// refused with ErrCorrupt, and a foreign directory is left as it was.
func TestCorrupt(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) string
	}{
		{"garbage file in place of the store", func(t *testing.T) string {
			dir := t.TempDir()
			write(t, filepath.Join(dir, dbName), "not a database")
			return dir
		}},
		{"garbage files in the store", func(t *testing.T) string {
			dir := newState(t, Options{})
			for _, name := range storeFiles(t, dir) {
				write(t, name, "garbage")
			}
			return dir
		}},
		{"truncated tables", func(t *testing.T) string {
			dir := newState(t, Options{})
			truncate(t, dir, ".sst", func(n int64) int64 { return n / 2 })
			return dir
		}},
		// A manifest cut after its first record is a torn write that Pebble
		// recovers from (with the log files); cut inside it, it is not.
		{"truncated manifest", func(t *testing.T) string {
			dir := newState(t, Options{})
			truncate(t, dir, "MANIFEST-", func(int64) int64 { return 5 })
			return dir
		}},
		{"another program's directory", func(t *testing.T) string {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "notes.txt"), "hello")
			if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
		{"another program's store", func(t *testing.T) string {
			dir := t.TempDir()
			db, err := pebble.Open(filepath.Join(dir, dbName), &pebble.Options{Logger: quietLogger{}})
			if err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(db.Set([]byte("user/1"), []byte("alice"), pebble.Sync), db.Close()); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
		{"wrong magic", func(t *testing.T) string {
			dir := newState(t, Options{})
			rewrite(t, dir, func(b *pebble.Batch) error { return b.Set(keyMagic, []byte("other"), nil) })
			return dir
		}},
		{"bad counters", func(t *testing.T) string {
			dir := newState(t, Options{})
			rewrite(t, dir, func(b *pebble.Batch) error { return b.Set(keyCounters, []byte{0xff}, nil) })
			return dir
		}},
		{"counters off", func(t *testing.T) string {
			dir := newState(t, Options{})
			rewrite(t, dir, func(b *pebble.Batch) error {
				return b.Set(keyCounters, appendCounters(nil, counters{seen: 9, done: 1}), nil)
			})
			return dir
		}},
		{"a hole in a queue", func(t *testing.T) string {
			dir := newState(t, Options{})
			// a.test/1 is done; a.test/2 and /3 are queued at seqStart+1, +2.
			rewrite(t, dir, func(b *pebble.Batch) error { return b.Delete(queueKey(nil, "a.test", 0, seqStart+1), nil) })
			return dir
		}},
		{"a bad lease", func(t *testing.T) string {
			dir := newState(t, Options{})
			rewrite(t, dir, func(b *pebble.Batch) error { return b.Set(leaseKey(7), []byte{itemVersion, 0x80}, nil) })
			return dir
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.setup(t)
			before := listDir(t, dir)
			d, err := Open(dir, frontier.Policy{}, Options{})
			if err == nil {
				closeDisk(t, d)
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the directory", err)
			}
			if after := listDir(t, dir); tt.name == "another program's directory" && !slices.Equal(after, before) {
				t.Errorf("Open changed the directory from %q to %q", before, after)
			}
		})
	}
}

// TestCorruptItem: a damaged queued item is found when it is leased: Next
// answers ErrCorrupt, and so does every later call, until Close.
func TestCorruptItem(t *testing.T) {
	dir := newState(t, Options{})
	rewrite(t, dir, func(b *pebble.Batch) error {
		return b.Set(queueKey(nil, "b.test", 0, seqStart), []byte{itemVersion, 1, 2}, nil)
	})
	d := open(t, dir, frontier.Policy{}, Options{})
	var err error
	for range 3 { // a.test/2, a.test/3 and b.test/1 in some order
		var l frontier.Lease
		if l, err = d.Next(ctxT(t)); err != nil {
			break
		}
		complete(t, d, l)
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Next of a damaged item: %v, want ErrCorrupt", err)
	}
	if _, err := d.Add(ctxT(t), item("c.test", "1", 0)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Add after the damage: %v, want ErrCorrupt", err)
	}
	closeDisk(t, d)
}

func write(t *testing.T, name, s string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// storeFiles returns the paths of the store's files.
func storeFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, dbName))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, filepath.Join(dir, dbName, e.Name()))
	}
	return names
}

// truncate cuts every store file whose name contains part to size(its
// size).
func truncate(t *testing.T, dir, part string, size func(int64) int64) {
	t.Helper()
	n := 0
	for _, name := range storeFiles(t, dir) {
		if !strings.Contains(filepath.Base(name), part) {
			continue
		}
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(name, size(fi.Size())); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatalf("no store file matches %q", part)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
