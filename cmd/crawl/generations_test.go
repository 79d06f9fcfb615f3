package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// siteSwitch serves whichever generation of a site the test set last,
// counting requests and body bytes.
type siteSwitch struct {
	site     atomic.Pointer[testserver.Site]
	requests atomic.Int64
	bytes    atomic.Int64
	kill     atomic.Int64 // when > 0, counts down; fired closes at 0
	fired    chan struct{}
}

func (s *siteSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.kill.Load() > 0 && s.kill.Add(-1) == 0 {
		close(s.fired)
	}
	s.site.Load().Handler().ServeHTTP(&countingWriter{ResponseWriter: w, n: &s.bytes}, r)
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.n.Add(int64(len(b)))
	return w.ResponseWriter.Write(b)
}

func (w *countingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// genRecords reads a generation's output: one record per path, each URL
// at most once.
func genRecords(t *testing.T, path, base string) map[string]*store.Record {
	t.Helper()
	recs := map[string]*store.Record{}
	err := store.ReadFile(path, func(r *store.Record) error {
		p := strings.TrimPrefix(r.URL, base)
		if recs[p] != nil {
			t.Errorf("%s: %s recorded twice", filepath.Base(path), p)
		}
		recs[p] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// checkGeneration compares a generation's records with the change set the
// test server knows: every URL recorded once with its label, 304s only
// for unchanged pages.
func checkGeneration(t *testing.T, name string, recs map[string]*store.Record, gen int, prev, cur testserver.Expectation, first bool) {
	t.Helper()
	want := map[string]string{}
	if first {
		for p := range cur.Records {
			want[p] = "new"
		}
	} else {
		want = testserver.ExpectChanges(prev, cur)
	}
	counts := map[string]int{}
	for p, label := range want {
		r := recs[p]
		if r == nil {
			t.Errorf("%s: %s (%s) not recorded", name, p, label)
			continue
		}
		counts[label]++
		if r.Change != label || r.Generation != gen {
			t.Errorf("%s: %s change %q generation %d, want %q %d (status %d)", name, p, r.Change, r.Generation, label, gen, r.Status)
		}
		if r.Status == http.StatusNotModified && label != "unchanged" {
			t.Errorf("%s: %s answered 304 but is %s", name, p, label)
		}
		if o, ok := cur.Records[p]; ok && r.Status == http.StatusNotModified && len(r.Links) == 0 && o.Status == 200 && strings.HasPrefix(o.ContentType, "text/html") {
			t.Errorf("%s: 304 page %s has no links", name, p)
		}
	}
	for p := range recs {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: %s recorded (%s), not expected", name, p, recs[p].Change)
		}
	}
	t.Logf("%s: %v", name, counts)
	if !first {
		for _, l := range []string{"new", "changed", "unchanged", "gone"} {
			if counts[l] == 0 {
				t.Errorf("%s: no %s record; the site should change more", name, l)
			}
		}
	}
}

// TestGenerations crawls three generations of a changing site with
// --state and, side by side, with --since: each gives exactly the change
// set the test server knows, 304 pages' links are followed (the URL sets
// equal a full crawl's), removed and unreachable pages are gone, and both
// ways label alike.
func TestGenerations(t *testing.T) {
	cfg := testserver.Config{Pages: 1500, Links: 6, Seed: 11, Features: testserver.AllFeatures}
	sw := &siteSwitch{}
	srv := httptest.NewServer(sw)
	defer srv.Close()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	common := []string{"--seed", srv.URL + "/", "--depth", "3", "--quiet", "--log-level", "error", "--backoff-base", "1ms", "--backoff-max", "2ms", "--retries", "0"}

	var prev testserver.Expectation
	var fullBytes int64
	archive, archived := filepath.Join(dir, "archive.warc"), 0
	for g := range 3 {
		cfg.Generation = g
		site := testserver.New(cfg)
		sw.site.Store(site)
		cur := site.Expect("/", 3)

		stateOut := filepath.Join(dir, fmt.Sprintf("state-%d.jsonl", g))
		b0 := sw.bytes.Load()
		if code, _, stderr := runCLI(t, context.Background(), "", append(common, "--state", state, "--out", stateOut, "--warc", archive)...); code != exitOK {
			t.Fatalf("generation %d with --state: exit %d: %s", g, code, stderr)
		}
		// The WARC output keeps every generation's records: revisits
		// refer to the captures of earlier ones.
		raw, err := os.ReadFile(archive)
		if err != nil {
			t.Fatal(err)
		}
		n := bytes.Count(raw, []byte("WARC-Type: response\r\n")) + bytes.Count(raw, []byte("WARC-Type: revisit\r\n"))
		if n <= archived {
			t.Errorf("generation %d: %d response and revisit records in the WARC output, %d before it", g+1, n, archived)
		}
		archived = n
		if g == 0 {
			fullBytes = sw.bytes.Load() - b0
		} else {
			t.Logf("generation %d: %d body bytes served, %d for the first", g, sw.bytes.Load()-b0, fullBytes)
		}
		checkGeneration(t, fmt.Sprintf("--state generation %d", g+1), genRecords(t, stateOut, srv.URL), g+1, prev, cur, g == 0)

		if g > 0 {
			sinceOut := filepath.Join(dir, fmt.Sprintf("since-%d.jsonl", g))
			since := filepath.Join(dir, fmt.Sprintf("state-%d.jsonl", g-1))
			if g > 1 {
				since = filepath.Join(dir, fmt.Sprintf("since-%d.jsonl", g-1))
			}
			if code, _, stderr := runCLI(t, context.Background(), "", append(common, "--since", since, "--out", sinceOut)...); code != exitOK {
				t.Fatalf("generation %d with --since: exit %d: %s", g, code, stderr)
			}
			sinceRecs := genRecords(t, sinceOut, srv.URL)
			checkGeneration(t, fmt.Sprintf("--since generation %d", g+1), sinceRecs, g+1, prev, cur, false)

			// --changes-only: the same crawl, only what is not unchanged.
			diffOut := filepath.Join(dir, fmt.Sprintf("diff-%d.jsonl", g))
			if code, _, stderr := runCLI(t, context.Background(), "", append(common, "--since", since, "--changes-only", "--out", diffOut)...); code != exitOK {
				t.Fatalf("generation %d with --changes-only: exit %d: %s", g, code, stderr)
			}
			diff := genRecords(t, diffOut, srv.URL)
			for p, r := range sinceRecs {
				if _, ok := diff[p]; ok != (r.Change != "unchanged") {
					t.Errorf("--changes-only generation %d: %s (%s) written %t", g+1, p, r.Change, ok)
				}
			}
		}
		prev = cur
	}
}

// TestGenerationKillResume kills the second generation of a --state crawl
// at random moments; the resumed runs finish it into its own output
// (though the command now names another), every URL once, with the
// labels a crawl without kills gives.
func TestGenerationKillResume(t *testing.T) {
	cfg := testserver.Config{Pages: 800, Links: 6, Seed: 5, Features: testserver.Redirects | testserver.Errors, Latency: 2 * time.Millisecond}
	sw := &siteSwitch{}
	srv := httptest.NewServer(sw)
	defer srv.Close()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	args := func(out string) []string {
		return []string{"--seed", srv.URL + "/", "--depth", "4", "--state", state, "--out", out, "--per-host", "4",
			"--quiet", "--log-level", "error", "--backoff-base", "1ms", "--backoff-max", "2ms", "--retries", "0"}
	}
	sw.site.Store(testserver.New(cfg))
	prev := sw.site.Load().Expect("/", 4)
	if code, _, stderr := runCLI(t, context.Background(), "", args(filepath.Join(dir, "g1.jsonl"))...); code != exitOK {
		t.Fatalf("generation 1: exit %d: %s", code, stderr)
	}
	perGen := int(sw.requests.Load())
	cfg.Generation = 1
	sw.site.Store(testserver.New(cfg))
	cur := sw.site.Load().Expect("/", 4)

	g2 := filepath.Join(dir, "g2.jsonl")
	rng := rand.New(rand.NewPCG(3, 4))
	kills := 0
	for run := 0; ; run++ {
		if run > 20 {
			t.Fatal("generation 2 did not finish in 20 runs")
		}
		out := g2
		if run > 0 {
			out = filepath.Join(dir, fmt.Sprintf("next-day-%d.jsonl", run)) // the cron job's new name
		}
		sw.fired = make(chan struct{})
		sw.kill.Store(int64(5 + rng.IntN(perGen/3)))
		cmd, stderr := child(t, args(out)...)
		done := make(chan int, 1)
		go func() { done <- exitOf(t, cmd) }()
		select {
		case <-sw.fired:
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			if code := <-done; code == 0 {
				goto finished
			}
			kills++
		case code := <-done:
			t.Logf("run %d exit %d after %d requests: %s", run, code, sw.requests.Load(), stderr)
			sw.kill.Store(0)
			if code != exitOK {
				t.Fatalf("run %d: exit %d, stderr %q", run, code, stderr)
			}
			goto finished
		}
	}
finished:
	if kills < 1 {
		t.Fatalf("no kill happened; the test needs a slower crawl")
	}
	t.Logf("%d kills", kills)
	if m, _ := filepath.Glob(filepath.Join(dir, "next-day-*")); len(m) > 0 {
		t.Errorf("a resumed generation wrote %v, not its own output", m)
	}

	checkGeneration(t, "generation 2 after kills", genRecords(t, g2, srv.URL), 2, prev, cur, false)
}

// TestSinceCheckLinksReachesAll re-crawls deeper with --check-links and a
// previous crawl whose deepest links were only checked: a link check's
// record has no links, so its URL, now a page, must be fetched in full,
// and the crawl must record what a full crawl records, at the same depths.
func TestSinceCheckLinksReachesAll(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 300, Links: 6, Seed: 3})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	dir := t.TempDir()
	crawl := func(depth, out string, extra ...string) map[string]*store.Record {
		t.Helper()
		args := append([]string{"--seed", srv.URL + "/", "--depth", depth, "--check-links", "--quiet", "--log-level", "error",
			"--backoff-base", "1ms", "--backoff-max", "2ms", "--retries", "0", "--out", filepath.Join(dir, out)}, extra...)
		if code, _, stderr := runCLI(t, context.Background(), "", args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return genRecords(t, filepath.Join(dir, out), srv.URL)
	}
	crawl("1", "prev.jsonl")
	full := crawl("2", "full.jsonl")
	since := crawl("2", "since.jsonl", "--since", filepath.Join(dir, "prev.jsonl"))
	for p, want := range full {
		got := since[p]
		switch {
		case got == nil:
			t.Errorf("%s (depth %d) not recorded with --since", p, want.Depth)
		case got.Depth != want.Depth || got.Check != want.Check:
			t.Errorf("%s: depth %d check %t with --since, want %d %t", p, got.Depth, got.Check, want.Depth, want.Check)
		}
	}
	for p, r := range since {
		if full[p] == nil && r.Change != "gone" {
			t.Errorf("%s recorded with --since (%s), not by a full crawl", p, r.Change)
		}
	}
}
