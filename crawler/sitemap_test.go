package crawler_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// sitemapCrawl crawls a SitemapSite with --sitemaps from "/" to depth and
// returns the records of its pages and of its sitemaps apart.
func sitemapCrawl(t *testing.T, depth, conc int, since time.Time, mk func(crawler.Config) frontier.Frontier) (*testserver.Site, *testserver.SitemapSite, crawlResult, map[string]*store.Record) {
	t.Helper()
	const host = "site.test"
	site := testserver.New(testserver.Config{Pages: 300, Links: 4, Seed: 5})
	ss := testserver.NewSitemapSite(site, "http://"+host)
	cfg := testConfig()
	cfg.Transport = testserver.Transport{host: ss.Handler()}
	cfg.Seeds = []string{"http://" + host + "/"}
	cfg.MaxDepth, cfg.Concurrency, cfg.PerHost = depth, conc, conc
	cfg.MaxBody = 1 << 20
	cfg.Sitemaps, cfg.SitemapSince = true, since
	var fr frontier.Frontier
	if mk == nil {
		fr = frontier.NewMemory(cfg.Policy())
	} else {
		fr = mk(cfg)
	}
	defer fr.Close()
	res := runCrawlOn(t, cfg, "http://"+host, fr)
	maps := map[string]*store.Record{}
	for u, r := range res.records {
		if path, ok := strings.CutPrefix(u, "http://"+host); ok && strings.HasPrefix(path, "/sitemaps/") {
			maps[path] = r
			delete(res.records, u)
		}
	}
	return site, ss, res, maps
}

// TestSitemapCrawl: with --sitemaps, the URLs the sitemaps list are
// depth-0 URLs: a depth-N crawl records exactly the pages within N hops of
// the seed or of a listed URL, each once, at any concurrency; each listed
// page says source sitemap with its lastmod; each sitemap has a record
// with its status, entry count and error; --sitemap-since leaves out old
// entries and old sitemaps of an index.
func TestSitemapCrawl(t *testing.T) {
	for _, since := range []time.Time{{}, testserver.SitemapSince} {
		for _, depth := range []int{0, 1, 2} {
			for _, conc := range []int{1, 8} {
				t.Run(fmt.Sprintf("since=%v/depth=%d/concurrency=%d", !since.IsZero(), depth, conc), func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						site, ss, res, sitemaps := sitemapCrawl(t, depth, conc, since, nil)
						sources := ss.Sources(since)
						checkRecords(t, res, site.ExpectCrawl(testserver.Crawl{Seed: "/", MaxDepth: depth, Sources: sources}), 0)

						lastmods := ss.Lastmods()
						for _, path := range sources {
							r := res.records[res.base+path]
							if r == nil {
								continue // reported by checkRecords
							}
							if r.Source != "sitemap" || r.Depth != 0 || !strings.HasPrefix(r.Parent, res.base+"/sitemaps/") {
								t.Errorf("%s: source %q depth %d parent %q, want a depth-0 page from a sitemap", path, r.Source, r.Depth, r.Parent)
							}
							if want := lastmods[path]; r.Lastmod != want && r.Parent != res.base+"/sitemaps/pages.txt" {
								t.Errorf("%s: lastmod %q, want %q", path, r.Lastmod, want)
							}
						}
						for u, r := range res.records {
							if r.Source != "" && !slices.Contains(sources, strings.TrimPrefix(u, res.base)) {
								t.Errorf("%s: source %q, but no sitemap lists it", u, r.Source)
							}
						}

						want := ss.Sitemaps(since)
						if got := slices.Sorted(maps.Keys(sitemaps)); !slices.Equal(got, slices.Sorted(maps.Keys(want))) {
							t.Errorf("sitemap records %v, want %v", got, slices.Sorted(maps.Keys(want)))
						}
						for path, w := range want {
							r := sitemaps[path]
							if r == nil {
								continue
							}
							got := testserver.SitemapOutcome{Status: r.Status, ErrorKind: r.ErrorKind, Truncated: r.Truncated}
							if r.SitemapURLs != nil {
								got.URLs = *r.SitemapURLs
							}
							if got != w || r.SitemapURLs == nil || r.Depth != 0 {
								t.Errorf("%s: %+v (sitemap_urls set %v, depth %d, error %q), want %+v", path, got, r.SitemapURLs != nil, r.Depth, r.Error, w)
							}
						}
					})
				})
			}
		}
	}
}

// TestSeedIsASitemap: --seed .../sitemap.xml with --sitemaps reads the
// seed as a sitemap (its URLs crawled at depth 0), one record for it.
func TestSeedIsASitemap(t *testing.T) {
	const host = "site.test"
	site := testserver.New(testserver.Config{Pages: 300, Links: 4, Seed: 5})
	ss := testserver.NewSitemapSite(site, "http://"+host)
	for _, seed := range []string{"/sitemaps/pages.xml", "/sitemaps/index.xml", "/sitemaps/pages.txt"} {
		cfg := testConfig()
		cfg.Transport = testserver.Transport{host: ss.Handler()}
		cfg.Seeds = []string{"http://" + host + seed}
		cfg.MaxBody, cfg.Sitemaps = 1<<20, true
		res := runCrawl(t, cfg, "http://"+host)
		if len(res.dups) > 0 {
			t.Errorf("%s: recorded twice: %v", seed, res.dups)
		}
		r := res.records["http://"+host+seed]
		if r == nil || r.SitemapURLs == nil || *r.SitemapURLs == 0 || r.Depth != 0 {
			t.Fatalf("%s: %+v, want a sitemap record at depth 0", seed, r)
		}
		want := map[string]string{"/sitemaps/pages.xml": "/p/290", "/sitemaps/index.xml": "/p/285", "/sitemaps/pages.txt": "/p/295"}[seed]
		if p := res.records["http://"+host+want]; p == nil || p.Source != "sitemap" || p.Depth != 0 {
			t.Errorf("%s: %s is %+v, want a depth-0 page from a sitemap", seed, want, p)
		}
	}
}
