package crawler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/store/warc"
)

// TestSpool: a spool keeps a payload in memory up to spoolMem bytes, then
// in a file in its directory, reads it back whole from the start each time,
// and removes the file on release.
func TestSpool(t *testing.T) {
	for _, size := range []int{0, 1, spoolMem, spoolMem + 1, 3*spoolMem + 7} {
		dir := t.TempDir()
		s := &spool{dir: dir}
		want := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		for p := want; len(p) > 0; {
			n := min(len(p), 10000)
			if k, err := s.Write(p[:n]); err != nil || k != n {
				t.Fatalf("size %d: Write = %d, %v", size, k, err)
			}
			p = p[n:]
		}
		for range 2 {
			r, n, err := s.reader()
			if err != nil || n != int64(size) {
				t.Fatalf("size %d: reader = %d, %v", size, n, err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("size %d: read back %d bytes (%v), want the %d written", size, len(got), err, size)
			}
		}
		if inFile := size > spoolMem; (s.f != nil) != inFile {
			t.Errorf("size %d: spooled to a file %v, want %v", size, s.f != nil, inFile)
		}
		// The file has no name: a process killed now leaves nothing.
		if files, _ := os.ReadDir(dir); len(files) != 0 && runtime.GOOS != "windows" {
			t.Errorf("size %d: %d files in the spool's directory, want none", size, len(files))
		}
		if err := s.release(); err != nil {
			t.Fatalf("size %d: release: %v", size, err)
		}
		if files, _ := os.ReadDir(dir); len(files) != 0 {
			t.Errorf("size %d: %d files left after release", size, len(files))
		}
	}
}

// testCapture returns a capture of a small exchange whose payload spools
// in dir.
func testCapture(target, dir string, payload []byte) *capture {
	cp := &capture{
		date: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), target: target, ip: "127.0.0.1",
		request: []byte("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"),
		header:  []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"),
		payload: &spool{dir: dir},
	}
	cp.payload.Write(payload)
	return cp
}

// TestCaptureSpoolError: when a payload cannot be spooled (its directory
// is gone: a full or broken disk), the capture keeps the error and writing
// it fails the crawl instead of archiving an empty or partial payload.
func TestCaptureSpoolError(t *testing.T) {
	dir := t.TempDir()
	w, err := warc.Open(filepath.Join(dir, "c.warc"), warc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := &Crawler{warc: w, log: zap.NewNop()}

	var got *capture
	cp := testCapture("http://a.test/big", filepath.Join(dir, "missing"), nil)
	body := &captureBody{
		ReadCloser: io.NopCloser(bytes.NewReader(make([]byte, spoolMem+1))),
		cp:         cp, deliver: func(cp *capture) { got = cp },
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		t.Fatalf("reading the body: %v (the reader must not see the spool's failure)", err)
	}
	body.Close()
	if got == nil || got.err == nil {
		t.Fatalf("delivered capture %+v, want one with the spool's error", got)
	}
	err = c.writeCaptures(&Result{captures: []*capture{got}})
	if err == nil || !strings.Contains(err.Error(), "http://a.test/big") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("writeCaptures = %v, want the spool's error naming the URL", err)
	}
}

// checkpointBatcher records the batches committed to it.
type checkpointBatcher struct {
	frontier.Frontier
	batches [][]frontier.Done
	points  []Checkpoint
}

func (b *checkpointBatcher) CompleteBatch(_ context.Context, done []frontier.Done, raw []byte) (int, error) {
	var cp Checkpoint
	if err := json.Unmarshal(raw, &cp); err != nil {
		return 0, err
	}
	b.batches = append(b.batches, done)
	b.points = append(b.points, cp)
	return 0, nil
}

func (b *checkpointBatcher) Checkpoint() []byte { return nil }

// TestGroupCommitCaptures: WARC records of capture-only results (robots.txt,
// retried attempts) go with the next batch, and when the results end with
// some not yet committed (an interrupted crawl), they are committed alone,
// so a resumed crawl does not cut them off.
func TestGroupCommitCaptures(t *testing.T) {
	dir := t.TempDir()
	w, err := warc.Open(filepath.Join(dir, "c.warc"), warc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	start := w.Checkpoint()
	c := &Crawler{warc: w, log: zap.NewNop()}
	b := &checkpointBatcher{}
	g := &groupCommit{c: c, batcher: b, out: store.NewWriter(io.Discard)}

	in := make(chan *Result, 2)
	in <- &Result{captures: []*capture{testCapture("http://a.test/robots.txt", dir, []byte("User-agent: *\n"))}}
	in <- &Result{captures: []*capture{testCapture("http://a.test/retried", dir, []byte("attempt 1"))}}
	close(in)
	if err := g.run(context.Background(), context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if len(b.batches) != 1 || len(b.batches[0]) != 0 {
		t.Fatalf("batches %v, want one without completions", b.batches)
	}
	end := w.Checkpoint()
	if got := b.points[0].WARC; got == nil || *got != end || end == start {
		t.Errorf("committed WARC checkpoint %+v, want the end of both captures %+v (start %+v)", got, end, start)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, ".crawl-spool-*")); len(files) != 0 {
		t.Errorf("spool files left: %v", files)
	}

	// Nothing written since: closing commits nothing more.
	in = make(chan *Result)
	close(in)
	if err := g.run(context.Background(), context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if len(b.batches) != 1 {
		t.Errorf("%d batches after an empty run, want still 1", len(b.batches))
	}
}
