package crawler_test

import (
	"fmt"
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
				res := runCrawl(t, crawler.Config{
					Seeds: []string{"http://site.test/"}, MaxDepth: 2,
					Concurrency: 8, PerHost: 8, Rate: rate,
					Transport: testserver.Transport{"site.test": site.Handler()},
				}, "http://site.test")
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
