package crawler

import (
	"fmt"
	"testing"

	"github.com/crawl-dev/crawl/frontier"
)

// TestSitemapBudget: a sitemap listed again costs nothing, and one host's
// budget does not touch another's.
func TestSitemapBudget(t *testing.T) {
	var b sitemapBudget
	item := func(host string, i int) frontier.Item {
		return frontier.Item{URL: fmt.Sprintf("http://%s/s%d.xml", host, i), Host: host}
	}
	for range 3 * maxSitemaps {
		if q, capped := b.take(item("a.test", 0)); capped || (q && len(b.seen) > 1) {
			t.Fatalf("a repeated sitemap: queue %v capped %v", q, capped)
		}
	}
	for i := 1; i < maxSitemaps; i++ {
		if q, capped := b.take(item("a.test", i)); !q || capped {
			t.Fatalf("sitemap %d of a.test: queue %v capped %v", i, q, capped)
		}
	}
	if q, capped := b.take(item("a.test", maxSitemaps)); q || !capped {
		t.Errorf("sitemap past a.test's budget: queue %v capped %v", q, capped)
	}
	if q, capped := b.take(item("b.test", 0)); !q || capped {
		t.Errorf("b.test after a.test's budget: queue %v capped %v", q, capped)
	}
}
