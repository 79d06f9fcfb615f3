package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// childArgsEnv carries the command line of a crawl that the test binary,
// re-executed, runs as a child process (TestCrawlChild).
const childArgsEnv = "CRAWL_TEST_CHILD_ARGS"

// TestCrawlChild is not a test: it is the crawl a parent test runs in a
// child process, to kill it or signal it.
func TestCrawlChild(t *testing.T) {
	raw := os.Getenv(childArgsEnv)
	if raw == "" {
		t.Skip("runs only as a child process of the --state tests")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signalContext()
	defer stop()
	os.Exit(exitCode(run(ctx, args, strings.NewReader(""), os.Stdout, os.Stderr), os.Stderr))
}

// child starts the crawl with args in a child process.
func child(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrawlChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childArgsEnv+"="+string(raw))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

// exitOf waits for cmd and returns its exit status (-1 when killed).
func exitOf(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// countingServer serves site and closes a channel when the n-th request
// arrives, so a test can act at a chosen point of a crawl.
type countingServer struct {
	h       http.Handler
	served  atomic.Int64
	trigger atomic.Int64
	fired   chan struct{}
}

func (s *countingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if n := s.served.Add(1); n == s.trigger.Load() {
		close(s.fired)
	}
	s.h.ServeHTTP(w, r)
}

// arm makes the next fired channel close at the n-th request from now.
func (s *countingServer) arm(n int64) <-chan struct{} {
	s.fired = make(chan struct{})
	s.trigger.Store(s.served.Load() + n)
	return s.fired
}

// TestStateKillResume kills a crawl with SIGKILL at several moments and
// resumes it each time: in the end every expected URL is recorded exactly
// once, every line is whole, and only URLs in flight at a kill were fetched
// twice.
func TestStateKillResume(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 1500, Links: 10, Seed: 21, Latency: 2 * time.Millisecond, Features: testserver.AllFeatures})
	cs := &countingServer{h: site.Handler()}
	srv := httptest.NewServer(cs)
	defer srv.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	const perHost, retries = 4, 1
	args := []string{"--seed", srv.URL + "/", "--depth", "3", "--state", filepath.Join(dir, "state"), "--out", out,
		"--per-host", "4", "--retries", "1", "--backoff-base", "1ms", "--backoff-max", "2ms", "--quiet", "--log-level", "error"}

	rng := rand.New(rand.NewPCG(1, 2))
	kills := 0
	for run := 0; ; run++ {
		if run > 20 {
			t.Fatal("the crawl did not finish in 20 runs")
		}
		fired := cs.arm(int64(15 + rng.IntN(120)))
		cmd, stderr := child(t, args...)
		done := make(chan int, 1)
		go func() { done <- exitOf(t, cmd) }()
		select {
		case <-fired:
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			if code := <-done; code == 0 {
				t.Logf("run %d finished before the kill", run)
				goto finished
			}
			kills++
		case code := <-done:
			if code != exitOK {
				t.Fatalf("run %d: exit %d, stderr %q", run, code, stderr)
			}
			goto finished
		}
	}
finished:
	if kills < 2 {
		t.Fatalf("only %d kills happened; the test needs a slower crawl", kills)
	}

	exp := site.Expect("/", 3)
	seen := map[string]int{}
	if err := store.ReadFile(out, func(r *store.Record) error { seen[r.URL]++; return nil }); err != nil {
		t.Fatalf("output after %d kills: %v", kills, err)
	}
	for path := range exp.Records {
		if n := seen[srv.URL+path]; n != 1 {
			t.Errorf("%s recorded %d times, want 1", path, n)
		}
	}
	if len(seen) != len(exp.Records) {
		t.Errorf("%d URLs recorded, want %d", len(seen), len(exp.Records))
	}
	// A page may be fetched again only if it was in flight at a kill:
	// its fetch (at most perHost leases of the one host), or the commit
	// of its record (the frontier frees a batch's host slots before the
	// batch's fsync ends, so a kill can lose one batch, again at most
	// perHost URLs). The output is cut back with the lost batch, so the
	// records stay exactly once.
	refetched := 0
	for path, n := range site.Requests() {
		want := 1
		if o, ok := exp.Records[path]; ok && o.Retried() {
			want = retries + 1
		}
		if path == "/robots.txt" {
			want = kills + 1 // fetched again by each run
		}
		if n > want {
			refetched += n - want
		}
	}
	if limit := kills * 2 * perHost; refetched > limit {
		t.Errorf("%d refetches after %d kills, want at most %d (the fetches and commits in flight)", refetched, kills, limit)
	}
	t.Logf("%d kills, %d refetches, %d records", kills, refetched, len(seen))

}

// TestStateLockedAndInterrupted runs a crawl in a child process; a second
// crawl on the same --state exits 5 at once; SIGINT stops the first with
// exit 3, and a resumed run completes it with every URL recorded once.
func TestStateLockedAndInterrupted(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 300, Links: 6, Seed: 4, Latency: 3 * time.Millisecond})
	cs := &countingServer{h: site.Handler()}
	srv := httptest.NewServer(cs)
	defer srv.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"--seed", srv.URL + "/", "--depth", "4", "--state", filepath.Join(dir, "state"), "--out", out,
		"--per-host", "2", "--quiet", "--log-level", "error"}

	fired := cs.arm(30)
	cmd, stderr := child(t, args...)
	<-fired

	code, _, errOut := runCLI(t, context.Background(), "", args...)
	if code != exitLocked || !strings.Contains(errOut, "in use by another crawl") {
		t.Errorf("second crawl on a busy --state: exit %d, stderr %q; want %d", code, errOut, exitLocked)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := exitOf(t, cmd); code != exitInterrupted {
		t.Fatalf("SIGINT: exit %d, want %d; stderr %q", code, exitInterrupted, stderr)
	}
	code, _, errOut = runCLI(t, context.Background(), "", args...)
	if code != exitOK {
		t.Fatalf("resume: exit %d, stderr %q", code, errOut)
	}
	exp := site.Expect("/", 4)
	seen := map[string]int{}
	if err := store.ReadFile(out, func(r *store.Record) error { seen[r.URL]++; return nil }); err != nil {
		t.Fatal(err)
	}
	for path := range exp.Records {
		if seen[srv.URL+path] != 1 {
			t.Errorf("%s recorded %d times, want 1", path, seen[srv.URL+path])
		}
	}
	if len(seen) != len(exp.Records) {
		t.Errorf("%d URLs recorded, want %d", len(seen), len(exp.Records))
	}
}

// TestStateRefused checks that a corrupt state, another crawl's state and
// an output that cannot be cut are refused before crawling, with exit 2.
func TestStateRefused(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt")
	if err := os.MkdirAll(filepath.Join(corrupt, "frontier"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(corrupt, "frontier", "notes.txt"), []byte("not a crawl"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	out := filepath.Join(dir, "out.jsonl")
	site := testserver.New(testserver.Config{Pages: 5, Links: 2, Seed: 1})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	if code, _, stderr := runCLI(t, context.Background(), "", "--seed", srv.URL+"/", "--depth", "1", "--state", other, "--out", out, "--quiet"); code != exitOK {
		t.Fatalf("first crawl: exit %d, %q", code, stderr)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"corrupt", []string{"--seed", srv.URL + "/", "--state", corrupt, "--out", filepath.Join(dir, "c.jsonl")}, "--state " + corrupt},
		{"another crawl", []string{"--seed", srv.URL + "/", "--depth", "2", "--state", other, "--out", out}, "belongs to another crawl"},
		{"another redirect limit", []string{"--seed", srv.URL + "/", "--depth", "1", "--max-redirects", "0", "--state", other, "--out", out}, "belongs to another crawl"},
		{"another robots.txt name", []string{"--seed", srv.URL + "/", "--depth", "1", "--user-agent", "otherbot/1", "--state", other, "--out", out}, "belongs to another crawl"},
		{"stdout", []string{"--seed", srv.URL + "/", "--state", filepath.Join(dir, "s1")}, "--state needs --out FILE"},
		{"gzip", []string{"--seed", srv.URL + "/", "--state", filepath.Join(dir, "s2"), "--out", filepath.Join(dir, "x.jsonl.gz")}, "--state needs --out FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, context.Background(), "", tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and one line containing %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
	if site.Requests()["/"] != 1 {
		t.Errorf("the refused runs requested pages: %v", site.Requests())
	}
}

// TestStateOwner: a --state directory's owner identity is made once and
// kept, whatever path names the directory later; one that a killed first
// run left unwritten is made again; two directories have two.
func TestStateOwner(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	if err := os.Mkdir(a, 0o755); err != nil {
		t.Fatal(err)
	}
	id, err := stateOwner(a)
	if err != nil || len(id) != 32 {
		t.Fatalf("stateOwner = %q, %v; want 32 hex digits", id, err)
	}
	moved := filepath.Join(dir, "moved")
	if err := os.Rename(a, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(moved, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{moved, filepath.Join(dir, "link"), filepath.Join(dir, ".", "moved")} {
		if got, err := stateOwner(p); got != id || err != nil {
			t.Errorf("stateOwner(%s) = %q, %v; want %q", p, got, err, id)
		}
	}
	b := filepath.Join(dir, "b")
	os.Mkdir(b, 0o755)
	if err := os.WriteFile(filepath.Join(b, ownerFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	other, err := stateOwner(b)
	if err != nil || len(other) != 32 || other == id {
		t.Errorf("stateOwner of a second dir with an empty owner file = %q, %v; want a new identity", other, err)
	}
	if again, _ := stateOwner(b); again != other {
		t.Errorf("stateOwner of the second dir again = %q, want %q", again, other)
	}
}
