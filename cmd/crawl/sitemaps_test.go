package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// TestSitemapsOnEveryFrontier: crawl --sitemaps records the same
// URLs, with the same depths and sources, in memory and on --state, and
// those are the site model's; on Redis too when CRAWL_TEST_REDIS is set.
func TestSitemapsOnEveryFrontier(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 300, Links: 4, Seed: 5})
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer srv.Close()
	ss := testserver.NewSitemapSite(site, srv.URL)
	handler = ss.Handler()

	crawl := func(extra ...string) map[string]string {
		out := filepath.Join(t.TempDir(), "out.jsonl")
		args := append([]string{"--seed", srv.URL + "/", "--depth", "1", "--sitemaps", "--max-body", "1048576",
			"--concurrency", "4", "--per-host", "4", "--out", out, "--quiet", "--log-level", "error"}, extra...)
		if code, _, stderr := runCLI(t, context.Background(), "", args...); code != exitOK {
			t.Fatalf("crawl %v: exit %d, stderr %q", extra, code, stderr)
		}
		got := map[string]string{}
		err := store.ReadFile(out, func(r *store.Record) error {
			path := strings.TrimPrefix(r.URL, srv.URL)
			if _, dup := got[path]; dup {
				t.Errorf("%s recorded twice", path)
			}
			n := -1
			if r.SitemapURLs != nil {
				n = *r.SitemapURLs
			}
			got[path] = fmt.Sprintf("depth %d status %d source %q urls %d %s", r.Depth, r.Status, r.Source, n, r.ErrorKind)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	memory := crawl()
	state := t.TempDir()
	onState := crawl("--state", state)
	if !maps.Equal(memory, onState) {
		t.Errorf("memory and --state crawls differ:\nmemory %v\nstate  %v", memory, onState)
	}

	if os.Getenv("CRAWL_TEST_REDIS") != "" {
		redisURL, c := testRedis(t)
		if onRedis := crawl("--frontier", redisURL, "--crawl-id", testCrawlID(t, c)); !maps.Equal(memory, onRedis) {
			t.Errorf("memory and Redis crawls differ:\nmemory %v\nredis  %v", memory, onRedis)
		}
	}

	exp := site.ExpectCrawl(testserver.Crawl{Seed: "/", MaxDepth: 1, Sources: ss.Sources(time.Time{})})
	want := slices.Sorted(maps.Keys(exp.Records))
	for path := range ss.Sitemaps(time.Time{}) {
		want = append(want, path)
	}
	slices.Sort(want)
	if got := slices.Sorted(maps.Keys(memory)); !slices.Equal(got, want) {
		t.Errorf("recorded %d URLs, want %d:\ngot  %v\nwant %v", len(got), len(want), got, want)
	}
}

func TestSitemapBadCommandLines(t *testing.T) {
	wantUsageError(t, []string{"--seed", "http://x/", "--sitemaps", "--sitemap-since", "yesterday"}, `invalid value "yesterday" for flag -sitemap-since`)
	wantUsageError(t, []string{"--seed", "http://x/", "--sitemap-since", "2026-01-01"}, "--sitemap-since needs --sitemaps")
}
