package crawler_test

import (
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/store/save"
	"github.com/crawl-dev/crawl/store/warc"
	"github.com/crawl-dev/crawl/testserver"
)

// BenchmarkCrawlKeep is BenchmarkCrawl's 10,000-page crawl keeping what it
// fetches: plain, --save, --warc (gzip) and both, to compare side by side
// (benchstat) with the plain crawl. Each op is one crawl into fresh
// outputs in b.TempDir().
//
//	go test -run '^$' -bench CrawlKeep -count 6 ./crawler | tee keep.txt
func BenchmarkCrawlKeep(b *testing.B) {
	site := testserver.New(testserver.Config{Pages: 10000, Links: 20})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	const depth = 3
	want := len(site.Expect("/", depth).Records)
	for _, bc := range []struct {
		name       string
		save, warc bool
	}{{"plain", false, false}, {"save", true, false}, {"warc", false, true}, {"save+warc", true, true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var pages int
			for b.Loop() {
				cfg := crawler.DefaultConfig()
				cfg.Seeds, cfg.MaxDepth = []string{srv.URL + "/"}, depth
				cfg.Concurrency, cfg.PerHost = 16, 16
				dir := b.TempDir()
				if bc.save {
					d, err := save.Open(filepath.Join(dir, "saved"))
					if err != nil {
						b.Fatal(err)
					}
					defer d.Close()
					cfg.Save = d
				}
				if bc.warc {
					w, err := warc.Open(filepath.Join(dir, "crawl.warc.gz"), warc.Options{Software: "bench"})
					if err != nil {
						b.Fatal(err)
					}
					cfg.WARC = w
				}
				pages += crawlOnce(b, cfg, want)
				if cfg.WARC != nil {
					if err := cfg.WARC.Close(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}
