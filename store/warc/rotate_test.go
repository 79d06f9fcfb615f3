package warc

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nlnwa/gowarc/v3"
)

// noise is n bytes that gzip cannot shrink, the same for the same seed.
func noise(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// written is what a test wrote: the exchange's URI and its position.
type written struct {
	uri string
	pos Position
}

func writeN(t *testing.T, w *Writer, from, n, size int) []written {
	t.Helper()
	var out []written
	for i := from; i < from+n; i++ {
		uri := fmt.Sprintf("http://example.test/page/%d", i)
		pos, err := w.WriteExchange(testExchange(uri, noise(uint64(i), size)))
		if err != nil {
			t.Fatalf("WriteExchange(%s): %v", uri, err)
		}
		out = append(out, written{uri, pos})
	}
	return out
}

// checkSeries reads every file of the output in dir and checks that each
// starts with its own warcinfo, that its records refer to it, that the
// exchanges are whole and where their positions say, and that files stay
// within maxSize. It returns the target URIs of the responses, in order.
func checkSeries(t *testing.T, dir string, maxSize int64, ws []written) []string {
	t.Helper()
	at := map[Position]string{}
	for _, w := range ws {
		at[w.pos] = w.uri
	}
	var uris []string
	for _, name := range listFiles(t, dir) {
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		recs := readWARC(t, path)
		if len(recs) == 0 || recs[0].Type != "warcinfo" || recs[0].Header[gowarc.WarcFilename] != name {
			t.Fatalf("%s: does not start with its warcinfo: %s", name, types(recs))
		}
		if want := "warcinfo" + strings.Repeat(",response,request", (len(recs)-1)/2); types(recs) != want || len(recs)%2 != 1 {
			t.Errorf("%s: records %s, want warcinfo and whole exchanges", name, types(recs))
		}
		if fi.Size() > maxSize && len(recs) > 3 {
			t.Errorf("%s: %d bytes with %d exchanges, over MaxSize %d", name, fi.Size(), (len(recs)-1)/2, maxSize)
		}
		for _, r := range recs[1:] {
			if r.Header[gowarc.WarcWarcinfoID] != recs[0].Header[gowarc.WarcRecordID] {
				t.Errorf("%s: %s record has WARC-Warcinfo-ID %s, not the file's %s", name, r.Type, r.Header[gowarc.WarcWarcinfoID], recs[0].Header[gowarc.WarcRecordID])
			}
			if r.Type != "response" {
				continue
			}
			uri := r.Header[gowarc.WarcTargetURI]
			uris = append(uris, uri)
			if got := at[Position{File: name, Offset: r.Offset}]; got != uri {
				t.Errorf("%s: response for %s at %d, but that position was returned for %q", name, uri, r.Offset, got)
			}
		}
	}
	return uris
}

func uris(ws []written) []string {
	var s []string
	for _, w := range ws {
		s = append(s, w.uri)
	}
	return s
}

func TestRotation(t *testing.T) {
	for _, name := range []string{"rot.warc", "rot.warc.gz"} {
		t.Run(name, func(t *testing.T) {
			const maxSize = 6000
			w, path := mustOpen(t, name, Options{MaxSize: maxSize, Software: "crawl/test"})
			ws := writeN(t, w, 0, 12, 1500)
			// One exchange larger than MaxSize gets a file of its own.
			ws = append(ws, writeN(t, w, 100, 1, 3*maxSize)...)
			ws = append(ws, writeN(t, w, 12, 2, 1500)...)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Dir(path)
			files := listFiles(t, dir)
			ext := strings.TrimPrefix(name, "rot")
			if len(files) < 5 || files[0] != "rot-00001"+ext || files[len(files)-1] != fmt.Sprintf("rot-%05d%s", len(files), ext) {
				t.Fatalf("files %v, want rot-00001%s ... in sequence", files, ext)
			}
			if got := checkSeries(t, dir, maxSize, ws); !slices.Equal(got, uris(ws)) {
				t.Errorf("responses %v, want %v", got, uris(ws))
			}
			if cp := w.Checkpoint(); cp.File != len(files) {
				t.Errorf("Checkpoint() = %+v, want file %d", cp, len(files))
			}
		})
	}
}

func TestResume(t *testing.T) {
	for _, name := range []string{"res.warc", "res.warc.gz", "res-rot.warc", "res-rot.warc.gz"} {
		t.Run(name, func(t *testing.T) {
			opts := Options{Software: "crawl/test"}
			if strings.Contains(name, "rot") {
				opts.MaxSize = 6000
			}
			w, path := mustOpen(t, name, opts)
			committed := writeN(t, w, 0, 5, 1500)
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
			cp := w.Checkpoint()
			writeN(t, w, 5, 6, 1500) // never committed: may rotate on
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			// A torn record after the checkpoint, as a kill -9 leaves.
			torn := w.fileName(cp.File)
			f, err := os.OpenFile(torn, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString("WARC/1.1\r\nWARC-Type: resp\x00garbage"); err != nil {
				t.Fatal(err)
			}
			f.Close()
			if n := len(listFiles(t, filepath.Dir(path))); opts.MaxSize > 0 && n <= cp.File {
				t.Fatalf("test wrote %d files, want some after the checkpoint's file %d", n, cp.File)
			}

			w2, err := Resume(path, opts, cp)
			if err != nil {
				t.Fatalf("Resume(%+v): %v", cp, err)
			}
			if w2.Checkpoint() != cp {
				t.Errorf("resumed Checkpoint() = %+v, want %+v", w2.Checkpoint(), cp)
			}
			more := writeN(t, w2, 20, 3, 1500)
			if err := w2.Close(); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Dir(path)
			want := append(uris(committed), uris(more)...)
			limit := opts.MaxSize
			if limit == 0 {
				limit = 1 << 62
			}
			if got := checkSeries(t, dir, limit, append(committed, more...)); !slices.Equal(got, want) {
				t.Errorf("after resume: responses %v, want %v (files %v)", got, want, listFiles(t, dir))
			}
		})
	}
}

func TestResumeErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "e.warc")
	w, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, w, 0, 1, 10)
	cp := w.Checkpoint()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	notInfo := filepath.Join(dir, "n.warc")
	if err := os.WriteFile(notInfo, []byte("WARC/1.1\r\nnot a record\r\n\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		cp   Checkpoint
		want string
	}{
		{"shorter than the checkpoint", path, Checkpoint{1, cp.Offset + 1}, "fewer than the"},
		{"missing file", filepath.Join(dir, "gone.warc"), cp, "no such file"},
		{"no warcinfo", notInfo, Checkpoint{1, 20}, "first record"},
		{"file 2 of one file", path, Checkpoint{2, 10}, "bad checkpoint"},
		{"bad name", filepath.Join(dir, "x.txt"), cp, "must end in .warc or .warc.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Resume(tt.path, Options{}, tt.cp)
			if err == nil {
				w.Close()
				t.Fatalf("Resume(%s, %+v) = nil error, want %q", tt.path, tt.cp, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Resume(%s, %+v) = %q, want one line with %q", tt.path, tt.cp, err, tt.want)
			}
		})
	}
}
