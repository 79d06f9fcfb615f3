package crawler_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// crawlResult is one crawl of a test site.
type crawlResult struct {
	base    string                   // the server's URL, no trailing slash
	records map[string]*store.Record // by URL
	dups    []string                 // URLs recorded more than once
	stats   crawler.Stats
}

// testConfig is DefaultConfig with millisecond backoffs, so that a retry in
// a test on real time waits milliseconds, not seconds.
func testConfig() crawler.Config {
	cfg := crawler.DefaultConfig()
	cfg.BackoffBase, cfg.BackoffMax = time.Millisecond, 4*time.Millisecond
	return cfg
}

// crawl serves site on loopback and crawls it from "/" with cfg.
func crawl(t *testing.T, site *testserver.Site, cfg crawler.Config) crawlResult {
	t.Helper()
	srv := httptest.NewServer(site.Handler())
	t.Cleanup(srv.Close)
	cfg.Seeds = []string{srv.URL + "/"}
	return runCrawl(t, cfg, srv.URL)
}

// runCrawl crawls cfg.Seeds, writing real JSONL and reading it back. base
// is the site's origin. It works inside synctest bubbles when
// cfg.Transport serves from memory.
func runCrawl(t *testing.T, cfg crawler.Config, base string) crawlResult {
	t.Helper()
	fr := frontier.NewMemory(cfg.Policy())
	defer fr.Close()
	return runCrawlOn(t, cfg, base, fr)
}

// runCrawlOn is runCrawl on the frontier fr.
func runCrawlOn(t *testing.T, cfg crawler.Config, base string, fr frontier.Frontier) crawlResult {
	t.Helper()
	return runCrawlLog(t, cfg, base, fr, zaptest.NewLogger(t))
}

// runCrawlLog is runCrawlOn with the logger log.
func runCrawlLog(t *testing.T, cfg crawler.Config, base string, fr frontier.Frontier, log *zap.Logger) crawlResult {
	t.Helper()
	var buf bytes.Buffer
	w := store.NewWriter(&buf)
	c, err := crawler.New(cfg, fr, w, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := c.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	res := crawlResult{base: base, records: map[string]*store.Record{}, stats: c.Stats()}
	err = store.Read(&buf, func(r *store.Record) error {
		if _, dup := res.records[r.URL]; dup {
			res.dups = append(res.dups, r.URL)
		}
		res.records[r.URL] = r
		return nil
	})
	if err != nil {
		t.Fatalf("reading the JSONL output: %v", err)
	}
	return res
}

// check compares a crawl with the site's expectation: every expected URL
// recorded exactly once with the expected depth, status, error, title,
// content type, truncation, attempts and redirect target; nothing else
// recorded; every request expected (retries counted) and none that must
// never be; request timing (Crawl-delay, Retry-After) respected.
func check(t *testing.T, site *testserver.Site, res crawlResult, exp testserver.Expectation, retries int) {
	t.Helper()
	checkRecords(t, res, exp, retries)
	if err := exp.CheckRequests(site.Requests(), retries); err != nil {
		t.Errorf("requests differ from the expectation:\n%v", err)
	}
	if err := exp.CheckLog(site.Log()); err != nil {
		t.Errorf("request timing differs from the expectation:\n%v", err)
	}
}

// checkRecords is the records part of check.
func checkRecords(t *testing.T, res crawlResult, exp testserver.Expectation, retries int) {
	t.Helper()
	if len(res.dups) > 0 {
		t.Errorf("URLs recorded more than once: %v", res.dups)
	}
	got := make(map[string]testserver.Outcome, len(res.records))
	for u, r := range res.records {
		path, ok := strings.CutPrefix(u, res.base)
		if !ok {
			t.Errorf("recorded a URL of another host: %s", u)
			continue
		}
		o := testserver.Outcome{
			Depth: r.Depth, Status: r.Status, Err: r.Error != "", Error: r.Error,
			Title: r.Title, ContentType: r.ContentType, Truncated: r.Truncated,
			Attempts: r.Attempts, Robots: r.Error == "disallowed by robots.txt",
		}
		if r.Status >= 300 && r.Status < 400 && r.FinalURL != r.URL {
			o.Redirect = strings.TrimPrefix(r.FinalURL, res.base)
		}
		if o.Robots && (r.Status != 0 || r.Attempts != 0) {
			t.Errorf("%s: robots-disallowed record with status %d, %d attempts", path, r.Status, r.Attempts)
		}
		if want, ok := exp.Records[path]; ok && want.Retried() && r.Attempts != retries+1 {
			t.Errorf("%s: %d attempts, want %d", path, r.Attempts, retries+1)
		}
		got[path] = o
	}
	if err := exp.Compare(got); err != nil {
		t.Errorf("records differ from the expectation:\n%v", err)
	}
}

// TestCrawlMatchesExpected is the completeness and exactly-once test: on a
// site where most pages are reachable by both a short and a long path, and
// where per-page latency makes long paths finish first, a depth-N crawl
// records exactly the pages within N hops, each once, at any concurrency.
func TestCrawlMatchesExpected(t *testing.T) {
	site := testserver.New(testserver.Config{
		Pages: 300, Links: 6, Seed: 7, Jitter: 2 * time.Millisecond, Features: testserver.AllFeatures,
	})
	for _, depth := range []int{0, 1, 2, 3} {
		for _, conc := range []int{1, 64} {
			t.Run(fmt.Sprintf("depth=%d/concurrency=%d", depth, conc), func(t *testing.T) {
				site.Reset()
				const retries = 1
				cfg := testConfig()
				cfg.MaxDepth, cfg.Concurrency, cfg.PerHost, cfg.Retries = depth, conc, conc, retries
				res := crawl(t, site, cfg)
				exp := site.Expect("/", depth)
				check(t, site, res, exp, retries)
				if int(res.stats.Records) != len(exp.Records) {
					t.Errorf("stats say %d records, want %d", res.stats.Records, len(exp.Records))
				}
			})
		}
	}
}

// TestPerHostLimit checks that the server never sees more concurrent
// requests than --per-host, however many workers there are.
func TestPerHostLimit(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 120, Links: 8, Seed: 3, Latency: 2 * time.Millisecond})
	for _, perHost := range []int{1, 3} {
		t.Run(fmt.Sprintf("per-host=%d", perHost), func(t *testing.T) {
			site.Reset()
			cfg := testConfig()
			cfg.MaxDepth, cfg.Concurrency, cfg.PerHost = 3, 32, perHost
			res := crawl(t, site, cfg)
			check(t, site, res, site.Expect("/", 3), 0)
			if got := site.MaxInflight(); got > perHost {
				t.Errorf("server saw %d requests at once, want at most %d", got, perHost)
			}
		})
	}
}

// TestMaxPages checks that --max-pages stops at exactly N records.
func TestMaxPages(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 200, Links: 8, Seed: 5})
	for _, n := range []int{1, 17, 50} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			site.Reset()
			cfg := testConfig()
			cfg.MaxDepth, cfg.MaxPages, cfg.Concurrency, cfg.PerHost = 5, n, 8, 8
			res := crawl(t, site, cfg)
			if len(res.records) != n || len(res.dups) > 0 {
				t.Errorf("%d records (%d duplicates), want %d", len(res.records), len(res.dups), n)
			}
		})
	}
}
