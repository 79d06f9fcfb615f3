package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/crawl-dev/crawl/frontier/redis"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// testRedis returns the URL in CRAWL_TEST_REDIS and a client of it, or
// skips the test or benchmark.
func testRedis(t testing.TB) (string, *goredis.Client) {
	t.Helper()
	u := os.Getenv("CRAWL_TEST_REDIS")
	if u == "" {
		t.Skip("CRAWL_TEST_REDIS is unset; set it to a Redis URL such as redis://127.0.0.1:6379/0 to run the distributed crawl tests and benchmarks")
	}
	c, err := dialRedis(context.Background(), u)
	if err != nil {
		t.Fatalf("CRAWL_TEST_REDIS=%q: %v", u, err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close client: %v", err)
		}
	})
	return u, c
}

// testCrawlID returns a fresh crawl id whose keys are deleted when the
// test ends.
func testCrawlID(t *testing.T, c *goredis.Client) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	id := "cmdtest-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := redis.Delete(ctx, c, id); err != nil {
			t.Errorf("delete crawl %s: %v", id, err)
		}
	})
	return id
}

// tripwire holds the n-th request of the victim crawl (told apart by its
// User-Agent) until release is closed, after closing fired: the victim is
// cancelled with that fetch in flight.
type tripwire struct {
	n       atomic.Int64
	at      int64
	fired   chan struct{}
	release chan struct{}
}

func (w *tripwire) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.UserAgent(), victimAgent) && w.n.Add(1) == w.at {
			close(w.fired)
			<-w.release
		}
		h.ServeHTTP(rw, r)
	})
}

// victimAgent is the User-Agent of the crawl TestDistributedCrawl cancels;
// the sites' robots.txt treat it as any other crawler.
const victimAgent = "victim/1.0"

// TestDistributedCrawl runs three crawls of one crawl id over Redis on four
// hosts, cancels one mid-crawl, and checks that the union of the outputs
// records every expected URL exactly once, that no host ever served more
// than --per-host requests at once, and that the survivors exit 0.
func TestDistributedCrawl(t *testing.T) {
	redisURL, client := testRedis(t)
	id := testCrawlID(t, client)
	const hosts, depth, perHost = 4, 3, 2

	tw := &tripwire{at: 25, fired: make(chan struct{}), release: make(chan struct{})}
	var sites []*testserver.Site
	var urls []string
	args := []string{"--frontier", redisURL, "--crawl-id", id, "--per-host", strconv.Itoa(perHost), "--concurrency", "4",
		"--depth", strconv.Itoa(depth), "--lease-ttl", "1s", "--grace", "1ms", "--quiet", "--log-level", "error"}
	for i := range hosts {
		site := testserver.New(testserver.Config{Pages: 120, Links: 5, Seed: int64(40 + i), Latency: 4 * time.Millisecond})
		srv := httptest.NewServer(tw.wrap(site.Handler()))
		t.Cleanup(srv.Close)
		sites = append(sites, site)
		urls = append(urls, srv.URL)
		args = append(args, "--seed", srv.URL+"/")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	victim, stopVictim := context.WithCancel(ctx)
	defer stopVictim()
	dir := t.TempDir()
	codes := make([]int, 3)
	stderrs := make([]bytes.Buffer, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		runCtx := ctx
		a := append(append([]string{}, args...), "--out", filepath.Join(dir, strconv.Itoa(i)+".jsonl"))
		if i == 2 {
			runCtx = victim
			a = append(a, "--user-agent", victimAgent)
		}
		wg.Go(func() {
			err := run(runCtx, a, strings.NewReader(""), &bytes.Buffer{}, &stderrs[i])
			codes[i] = exitCode(err, &stderrs[i])
		})
	}
	select {
	case <-tw.fired:
		stopVictim()
	case <-ctx.Done():
	}
	close(tw.release)
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("the crawls did not end within the time limit: exits %v", codes)
	}
	for i := range 2 {
		if codes[i] != exitOK {
			t.Errorf("survivor %d: exit %d, want 0; stderr %q", i, codes[i], stderrs[i].String())
		}
	}
	if codes[2] != exitInterrupted {
		t.Errorf("cancelled crawl: exit %d, want %d; stderr %q", codes[2], exitInterrupted, stderrs[2].String())
	}

	seen := map[string]int{}
	per := make([]int, 3)
	for i := range 3 {
		err := store.ReadFile(filepath.Join(dir, strconv.Itoa(i)+".jsonl"), func(r *store.Record) error {
			seen[r.URL]++
			per[i]++
			return nil
		})
		if err != nil {
			t.Fatalf("output %d: %v", i, err)
		}
	}
	want := 0
	for i, site := range sites {
		exp := site.Expect("/", depth)
		want += len(exp.Records)
		for path := range exp.Records {
			if n := seen[urls[i]+path]; n != 1 {
				t.Errorf("%s%s recorded %d times, want 1", urls[i], path, n)
			}
		}
		if got := testserver.MaxConcurrent(site.Log()); got > perHost {
			t.Errorf("host %s: %d concurrent requests, want at most %d", urls[i], got, perHost)
		}
		// robots.txt is shared in Redis: one process fetches it.
		if n := site.Requests()["/robots.txt"]; n != 1 {
			t.Errorf("host %s: robots.txt requested %d times by the three processes, want 1", urls[i], n)
		}
	}
	if len(seen) != want {
		t.Errorf("%d URLs recorded, want %d", len(seen), want)
	}
	if per[0] == 0 || per[1] == 0 {
		t.Errorf("records per process %v: a survivor did no work", per)
	}
	reclaimed, err := client.HGet(context.Background(), "fr:{"+id+"}:meta", "reclaimed").Result()
	if err != nil && err != goredis.Nil {
		t.Fatalf("reclaimed counter: %v", err)
	}
	t.Logf("records per process %v (the last cancelled), %d URLs, %q leases reclaimed", per, want, reclaimed)

	// The shared state says the crawl is finished.
	var out bytes.Buffer
	if err := runSubcommand(context.Background(), "status", []string{"--frontier", redisURL, "--crawl-id", id}, nil, &out); err != nil {
		t.Fatalf("status: %v", err)
	}
	wantStatus := "done:      " + strconv.Itoa(want) + "\nfinished:  true\n"
	if !strings.HasSuffix(out.String(), wantStatus) {
		t.Errorf("status:\n%s\nwant it to end with\n%s", out.String(), wantStatus)
	}
}
