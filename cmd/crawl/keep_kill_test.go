package main

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nlnwa/gowarc/v3"

	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// TestStateKillResumeKeep kills a --state --save --warc crawl with SIGKILL
// (or interrupts it with SIGINT) at several moments and resumes it each
// time. In the end every URL is recorded once, every saved file is whole
// and matches its record, the WARC files read back strictly with every
// record's warc reference pointing at its response, no response is in them
// more often than the server sent it, and nothing temporary is left.
func TestStateKillResumeKeep(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and resumes crawls in child processes")
	}
	tests := []struct {
		name    string
		warc    string
		maxSize string
		sig     syscall.Signal
	}{
		{"kill, warc.gz", "w.warc.gz", "0", syscall.SIGKILL},
		{"kill, warc, rotating", "w.warc", "300000", syscall.SIGKILL},
		{"interrupt, warc.gz, rotating", "w.warc.gz", "200000", syscall.SIGINT},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := testserver.New(testserver.Config{Pages: 1500, Links: 10, Seed: 31, Latency: 2 * time.Millisecond,
				Features: testserver.AllFeatures | testserver.Encoded})
			cs := &countingServer{h: site.Handler()}
			srv := httptest.NewServer(cs)
			defer srv.Close()
			dir := t.TempDir()
			out, saveDir, warcDir := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "saved"), filepath.Join(dir, "warc")
			if err := os.Mkdir(warcDir, 0o755); err != nil {
				t.Fatal(err)
			}
			const retries = 2
			args := []string{"--seed", srv.URL + "/", "--depth", "3", "--state", filepath.Join(dir, "state"), "--out", out,
				"--save", saveDir, "--warc", filepath.Join(warcDir, tt.warc), "--warc-max-size", tt.maxSize,
				"--per-host", "4", "--retries", "2", "--backoff-base", "1ms", "--backoff-max", "2ms", "--quiet", "--log-level", "error"}

			seed := uint64(100 + i)
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 7))
			stops := 0
			for run := 0; ; run++ {
				if run > 12 {
					t.Fatal("the crawl did not finish in 12 runs")
				}
				fired := cs.arm(int64(15 + rng.IntN(120)))
				if stops == 3 {
					fired = nil // let the last run finish
				}
				cmd, stderr := child(t, args...)
				done := make(chan int, 1)
				go func() { done <- exitOf(t, cmd) }()
				select {
				case <-fired:
					if err := cmd.Process.Signal(tt.sig); err != nil {
						t.Fatal(err)
					}
					code := <-done
					if code == exitOK {
						goto finished
					}
					if tt.sig == syscall.SIGINT && code != exitInterrupted {
						t.Fatalf("run %d: exit %d after SIGINT, stderr %q", run, code, stderr)
					}
					stops++
				case code := <-done:
					if code != exitOK {
						t.Fatalf("run %d: exit %d, stderr %q", run, code, stderr)
					}
					goto finished
				}
			}
		finished:
			if stops < 2 {
				t.Fatalf("only %d stops happened; the test needs a slower crawl", stops)
			}
			checkKept(t, site, srv.URL, out, saveDir, warcDir, tt.sig == syscall.SIGINT)
			t.Logf("%d stops", stops)
		})
	}
}

// checkKept checks the outputs of a finished crawl (see
// TestStateKillResumeKeep). exact says every request the server logged is
// in the WARC: nothing was lost to a kill.
func checkKept(t *testing.T, site *testserver.Site, base, out, saveDir, warcDir string, exact bool) {
	t.Helper()
	exp := site.Expect("/", 3)
	recs := map[string]*store.Record{}
	if err := store.ReadFile(out, func(r *store.Record) error {
		if recs[r.URL] != nil {
			t.Errorf("%s recorded twice", r.URL)
		}
		recs[r.URL] = r
		return nil
	}); err != nil {
		t.Fatalf("output: %v", err)
	}
	for path := range exp.Records {
		if recs[base+path] == nil {
			t.Errorf("%s not recorded", path)
		}
	}
	if len(recs) != len(exp.Records) {
		t.Errorf("%d URLs recorded, want %d", len(recs), len(exp.Records))
	}

	// Saved files: one per 2xx record, matching its sha256, and nothing else.
	saved := map[string]bool{}
	for url, r := range recs {
		ok2xx := r.Status >= 200 && r.Status < 300 && r.Error == ""
		if ok2xx != (r.Saved != "") {
			t.Errorf("%s: status %d, error %q, saved %q", url, r.Status, r.Error, r.Saved)
			continue
		}
		if r.Saved == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(saveDir, filepath.FromSlash(r.Saved)))
		if sum := sha256.Sum256(b); err != nil || hex.EncodeToString(sum[:]) != r.SHA256 {
			t.Errorf("%s: saved file %s (%v) does not match its sha256", url, r.Saved, err)
		}
		saved[r.Saved] = true
	}
	filepath.WalkDir(saveDir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(saveDir, p)
		if !saved[filepath.ToSlash(rel)] {
			t.Errorf("file %s in the save dir is no record's", rel)
		}
		return nil
	})

	// WARC: strict reads, responses at the records' references, none
	// more often than the server sent it.
	type at struct {
		file   string
		offset int64
	}
	responses := map[at]string{}
	perPath := map[string]int{}
	files, _ := os.ReadDir(warcDir)
	for _, f := range files {
		if strings.HasPrefix(f.Name(), ".crawl-spool-") {
			t.Errorf("spool file %s left", f.Name())
			continue
		}
		rd, err := gowarc.NewWarcFileReader(filepath.Join(warcDir, f.Name()), 0, gowarc.WithStrictValidation())
		if err != nil {
			t.Fatal(err)
		}
		for r, err := range rd.Records() {
			if err != nil || len(r.Validation) > 0 {
				t.Fatalf("%s at %d: %v %v", f.Name(), r.Offset, err, r.Validation)
			}
			if r.WarcRecord.Type() == gowarc.Response {
				uri := r.WarcRecord.WarcHeader().Get(gowarc.WarcTargetURI)
				responses[at{f.Name(), r.Offset}] = uri
				perPath[strings.TrimPrefix(uri, base)]++
			}
			r.Close()
		}
		rd.Close()
	}
	for url, r := range recs {
		if r.WARC == nil {
			continue
		}
		if got := responses[at{r.WARC.File, r.WARC.Offset}]; got != url {
			t.Errorf("%s: warc reference %+v holds a response for %q", url, *r.WARC, got)
		}
	}
	for path, n := range site.Requests() {
		got := perPath[path]
		if got > n || (exact && got != n) {
			t.Errorf("%s: %d responses archived, the server sent %d", path, got, n)
		}
	}
}
