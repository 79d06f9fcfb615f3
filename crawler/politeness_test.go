package crawler_test

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/testserver"
)

// TestRateSpacing checks --rate on fake time: consecutive requests to a host
// (robots.txt included) start at least 1/rate apart, however many fetches
// per host are allowed, and the crawl is still complete.
func TestRateSpacing(t *testing.T) {
	for _, rate := range []float64{2, 0.5} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				site := testserver.New(testserver.Config{Pages: 30, Links: 4, Seed: 9})
				cfg := testConfig()
				cfg.Seeds, cfg.MaxDepth = []string{"http://site.test/"}, 2
				cfg.Concurrency, cfg.PerHost, cfg.Rate = 8, 8, rate
				cfg.Transport = testserver.Transport{"site.test": site.Handler()}
				res := runCrawl(t, cfg, "http://site.test")
				check(t, site, res, site.Expect("/", 2), 0)
				want := time.Duration(float64(time.Second) / rate)
				log := site.Log()
				gaps := testserver.Gaps(log, nil)
				if len(gaps) < 5 {
					t.Fatalf("only %d requests", len(log))
				}
				for i, g := range gaps {
					if g < want {
						t.Errorf("request %d came %v after the previous one, want at least %v", i+1, g, want)
					}
				}
			})
		})
	}
}

// TestCrawlDelayCap checks on fake time that robots.txt's Crawl-delay
// spaces a host's page requests, capped at CrawlDelayCap, and that a cap of
// 0 does not honour it at all.
func TestCrawlDelayCap(t *testing.T) {
	const delay = 2 * time.Second
	tests := []struct {
		name string
		cap  time.Duration
		want time.Duration // least time between the starts of two page requests
	}{
		{"default", crawler.DefaultConfig().CrawlDelayCap, delay},
		{"below the delay", time.Second, time.Second},
		{"zero", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				site := testserver.NewRobotsSite(testserver.RobotsConfig{Mode: testserver.RobotsCrawlDelay, CrawlDelay: delay})
				cfg := testConfig()
				cfg.Seeds, cfg.MaxDepth, cfg.CrawlDelayCap = []string{"http://robots.test/"}, 1, tt.cap
				cfg.Concurrency, cfg.PerHost = 4, 4
				cfg.Transport = testserver.Transport{"robots.test": site.Handler()}
				res := runCrawl(t, cfg, "http://robots.test")
				checkRecords(t, res, site.ExpectCrawl(testserver.Crawl{Seed: "/", MaxDepth: 1}), 0)
				gaps := testserver.Gaps(site.Log(), func(r testserver.Request) bool { return r.Path != "/robots.txt" })
				if len(gaps) < 4 {
					t.Fatalf("only %d gaps between page requests", len(gaps))
				}
				if least := slices.Min(gaps); least != tt.want {
					t.Errorf("Crawl-delay %v, --crawl-delay-cap %v: page requests came %v apart at least, want %v (all gaps %v)",
						delay, tt.cap, least, tt.want, gaps)
				}
			})
		})
	}
}
