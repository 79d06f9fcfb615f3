package crawler_test

import (
	"context"
	"io"
	"net/http/httptest"
	"testing"

	"go.uber.org/zap"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// BenchmarkCrawl crawls a generated site over loopback, the whole pipeline
// (frontier, HTTP, parse, scope, JSONL) in one process with the server. One
// op is one crawl; pages/s is reported too.
// The server's CPU counts too: compare runs side by side (benchstat), and
// use cmd/compare for the crawler alone against other crawlers.
//
//	go test -run '^$' -bench Crawl -count 6 ./crawler | tee new.txt
func BenchmarkCrawl(b *testing.B) {
	for _, bc := range []struct {
		name        string
		pages       int
		links       int
		depth       int
		concurrency int
	}{
		{"10000x20/depth3", 10000, 20, 3, 16},
		{"2000x10/depth2", 2000, 10, 2, 16},
	} {
		b.Run(bc.name, func(b *testing.B) {
			site := testserver.New(testserver.Config{Pages: bc.pages, Links: bc.links})
			srv := httptest.NewServer(site.Handler())
			defer srv.Close()
			want := len(site.Expect("/", bc.depth).Records)
			cfg := crawler.DefaultConfig()
			cfg.Seeds, cfg.MaxDepth = []string{srv.URL + "/"}, bc.depth
			cfg.Concurrency, cfg.PerHost = bc.concurrency, bc.concurrency
			b.ReportAllocs()
			var pages int
			for b.Loop() {
				pages += crawlOnce(b, cfg, want)
			}
			b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

// crawlOnce runs one crawl of cfg into a discarded JSONL writer and checks
// that it recorded want URLs.
func crawlOnce(b *testing.B, cfg crawler.Config, want int) int {
	fr := frontier.NewMemory(cfg.Policy())
	defer fr.Close()
	w := store.NewWriter(io.Discard)
	c, err := crawler.New(cfg, fr, w, zap.NewNop())
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	if err := c.Run(context.Background()); err != nil {
		b.Fatalf("Run: %v", err)
	}
	if err := w.Close(); err != nil {
		b.Fatalf("Close: %v", err)
	}
	if got := int(c.Stats().Records); got != want {
		b.Fatalf("crawl recorded %d URLs, want %d", got, want)
	}
	return want
}
