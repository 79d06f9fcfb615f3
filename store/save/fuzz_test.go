package save

import (
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// addSeeds gives a fuzz test the URLs of the table and golden tests.
func addSeeds(f *testing.F) {
	for _, tt := range pathForTests {
		f.Add(tt.url, tt.mediaType)
	}
	for _, g := range goldenURLs {
		f.Add(g.url, g.mediaType)
	}
	f.Add("http://l/x", "text/html")
	f.Add("http://l/a/b", "")
	f.Add("http://f/x", "")
	f.Add("http://L:80/x/", "")
}

// parseHTTP parses s as an absolute http(s) URL, the input PathFor takes.
func parseHTTP(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, false
	}
	return u, true
}

// FuzzPathFor checks, for any absolute http(s) URL, that PathFor gives a
// deterministic, clean, local path of non-empty, printable segments of at
// most 255 bytes, without the '#' of temporary files.
func FuzzPathFor(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s, mediaType string) {
		u, ok := parseHTTP(s)
		if !ok {
			return
		}
		got := PathFor(u, mediaType)
		if again := PathFor(u, mediaType); again != got {
			t.Fatalf("PathFor(%q) = %q, then %q", s, got, again)
		}
		if !filepath.IsLocal(got) || path.Clean(got) != got || !utf8.ValidString(got) {
			t.Fatalf("PathFor(%q) = %q, want a clean local UTF-8 path", s, got)
		}
		if len(got) > maxPath {
			t.Fatalf("PathFor(%q) = %q, %d bytes; want at most %d", s, got, len(got), maxPath)
		}
		for _, c := range []byte(got) {
			if c < 0x20 || c == 0x7f || c == '\\' || c == '#' {
				t.Fatalf("PathFor(%q) = %q, holding byte %#x", s, got, c)
			}
		}
		for seg := range strings.SplitSeq(got, "/") {
			if seg == "" || seg == "." || seg == ".." || len(seg) > 255 {
				t.Fatalf("PathFor(%q) = %q, with segment %q", s, got, seg)
			}
		}
	})
}

// FuzzSave saves the body of any absolute http(s) URL where PathFor puts
// it, in a save dir holding a symbolic link "l" to a directory outside it
// and a file "f" where a directory may be needed. The file must land
// inside the dir, hold the body, and leave the outside untouched.
func FuzzSave(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s, mediaType string) {
		u, ok := parseHTTP(s)
		if !ok {
			return
		}
		base := t.TempDir()
		dir, outside := filepath.Join(base, "save"), filepath.Join(base, "outside")
		if err := os.Mkdir(outside, 0o755); err != nil {
			t.Fatal(err)
		}
		d, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if err := os.Symlink(outside, filepath.Join(dir, "l")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o644); err != nil {
			t.Fatal(err)
		}

		want := PathFor(u, mediaType)
		file, err := d.Create(want)
		if err != nil {
			t.Fatalf("Create(%q) = %v", want, err)
		}
		defer file.Abort()
		if _, err := file.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
		rel, _, err := file.Commit()
		if err != nil {
			t.Fatalf("Commit() of %q = %v", want, err)
		}
		if !filepath.IsLocal(rel) || path.Clean(rel) != rel {
			t.Fatalf("Commit() of %q = %q, want a clean local path", want, rel)
		}
		if got := readFile(t, dir, rel); got != s {
			t.Fatalf("%s holds %q, want %q", rel, got, s)
		}
		if got := tree(t, outside); len(got) != 0 {
			t.Fatalf("saving %q wrote %q outside the dir", want, got)
		}
	})
}
