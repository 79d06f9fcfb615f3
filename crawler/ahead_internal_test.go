package crawler

import (
	"fmt"
	"testing"

	"github.com/crawl-dev/crawl/parser"
)

// TestParkedSize: what a parked result keeps until it is followed counts
// against the bound: a page's links, a sitemap's entries (its children are
// not decided yet), the previous record's links.
func TestParkedSize(t *testing.T) {
	links := make([]string, 1000)
	entries := make([]parser.SitemapEntry, 1000)
	for i := range links {
		links[i] = fmt.Sprintf("http://example.test/a/fairly/long/path/%d", i)
		entries[i].Loc = links[i]
	}
	const least = 1000 * 40 // the URLs' bytes alone
	for _, tc := range []struct {
		name string
		res  *Result
	}{
		{"page", &Result{Page: &parser.Page{Links: links}, follows: followLinks}},
		{"sitemap", &Result{sitemap: &parser.Sitemap{Entries: entries}, follows: followSitemap}},
		{"prior", &Result{prior: &Prior{Links: links}}},
	} {
		if n := tc.res.parkedSize(); n < least {
			t.Errorf("%s of 1000 URLs counts %d bytes, want at least %d", tc.name, n, least)
		}
	}
}
