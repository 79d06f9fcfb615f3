package crawler_test

import (
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/testserver"
)

// TestHostileSite crawls every hostile fixture on fake time (slow answers,
// drips, endless and huge bodies, gzip bombs, redirect loops and garbage
// Locations, calendars, growing paths, session ids, 429/503/408/403/410,
// flaky pages, broken markup, charsets, binary garbage) and compares every
// record, request and request gap with the site's expectation.
func TestHostileSite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		site := testserver.NewHostile(testserver.HostileConfig{LargeSize: 50 << 20})
		const retries = 2
		cfg := crawler.DefaultConfig()
		cfg.Seeds, cfg.MaxDepth = []string{"http://hostile.test/"}, 4
		cfg.Concurrency, cfg.PerHost, cfg.Retries = 16, 4, retries
		cfg.Timeout, cfg.MaxBody = 5*time.Second, 1<<20
		cfg.BackoffBase, cfg.BackoffMax = 100*time.Millisecond, time.Second
		cfg.Transport = testserver.Transport{"hostile.test": site.Handler()}
		res := runCrawl(t, cfg, "http://hostile.test")
		exp := site.ExpectCrawl(testserver.Crawl{
			Seed: "/", MaxDepth: 4, Retries: retries, Timeout: 5 * time.Second, MaxBody: 1 << 20,
		})
		check(t, site, res, exp, retries)
	})
}

// TestRobotsModes crawls one site per robots.txt behaviour on fake time:
// rules, 404 (allow all), 500 and a hang (disallowed for now, retried with
// backoff, then the URLs fail), 503 and 429 that recover, a redirect, a
// Crawl-delay (request gaps checked), a group for our agent, an oversized
// file and garbage.
func TestRobotsModes(t *testing.T) {
	for _, mode := range testserver.RobotsModes() {
		t.Run(mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				site := testserver.NewRobotsSite(testserver.RobotsConfig{Mode: mode})
				const retries = 2
				cfg := crawler.DefaultConfig()
				cfg.Seeds, cfg.MaxDepth = []string{"http://robots.test/"}, 3
				cfg.Concurrency, cfg.PerHost, cfg.Retries = 8, 2, retries
				cfg.Timeout, cfg.BackoffBase, cfg.BackoffMax = 5*time.Second, time.Second, 4*time.Second
				cfg.Transport = testserver.Transport{"robots.test": site.Handler()}
				res := runCrawl(t, cfg, "http://robots.test")
				exp := site.ExpectCrawl(testserver.Crawl{Seed: "/", MaxDepth: 3, Retries: retries, Timeout: 5 * time.Second})
				check(t, site, res, exp, retries)
			})
		})
	}
}

// TestHostileSizesOverLoopback crawls the size fixtures (an endless body, a
// 200 MB body, a gzip bomb inflating past 1 GiB) through the real
// http.Transport on loopback: the body cap applies after decompression, so
// each costs at most MaxBody, and the records say truncated.
func TestHostileSizesOverLoopback(t *testing.T) {
	site := testserver.NewHostile(testserver.HostileConfig{Fixtures: testserver.SizeFixtures})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	const maxBody = 1 << 20
	cfg := testConfig()
	cfg.Seeds, cfg.MaxDepth = []string{srv.URL + "/"}, 2
	cfg.Concurrency, cfg.PerHost, cfg.MaxBody = 4, 4, maxBody
	res := runCrawl(t, cfg, srv.URL)
	exp := site.ExpectCrawl(testserver.Crawl{Seed: "/", MaxDepth: 2, MaxBody: maxBody})
	check(t, site, res, exp, 0)
	truncated := 0
	for _, r := range res.records {
		if r.Bytes > maxBody {
			t.Errorf("%s: read %d bytes, more than --max-body %d", r.URL, r.Bytes, maxBody)
		}
		if r.Truncated {
			truncated++
		}
	}
	if truncated < 3 {
		t.Errorf("%d truncated records, want the endless body, the large body and the bomb", truncated)
	}
}
