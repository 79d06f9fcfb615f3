// Command colly-bench crawls a site with Colly the way a crawler does:
// every a[href] is visited, to --depth link hops from --url. It is the
// Colly peer of cmd/compare, a module of its own so that crawl does not
// depend on Colly:
//
//	(cd cmd/compare/testdata/colly && go build -o /tmp/colly-bench .)
//	go run ./cmd/compare --crawl /tmp/crawl \
//	    --tool 'colly=/tmp/colly-bench --url {url} --depth {depth} --concurrency {concurrency} --strip-fragment'
//
// Use --strip-fragment: Colly's visited check includes the #fragment, so
// without it every page.html#anchor is fetched again (on Debian's
// python3-doc, 20,000 requests for 528 pages).
package main

import (
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"strings"
	"sync/atomic"

	"github.com/gocolly/colly/v2"
)

func main() {
	seed := flag.String("url", "", "start URL")
	depth := flag.Int("depth", 3, "link hops from the start URL")
	conc := flag.Int("concurrency", 16, "requests in flight")
	nofrag := flag.Bool("strip-fragment", false, "drop #fragments before Visit (Colly dedups URLs with them)")
	flag.Parse()
	u, err := url.Parse(*seed)
	if err != nil || u.Host == "" {
		log.Fatalf("bad --url %q", *seed)
	}
	// Colly's first request has Depth 1 and Visit adds 1 per hop, so
	// depth hops from the seed is MaxDepth depth+1.
	c := colly.NewCollector(
		colly.Async(true),
		colly.MaxDepth(*depth+1),
		colly.AllowedDomains(u.Hostname()),
	)
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: *conc}); err != nil {
		log.Fatal(err)
	}
	var pages, errs, links atomic.Int64
	c.OnHTML("a[href]", func(e *colly.HTMLElement) {
		links.Add(1)
		href := e.Attr("href")
		if *nofrag {
			if i := strings.IndexByte(href, '#'); i >= 0 {
				href = href[:i] // "" visits the page itself: skipped as visited
			}
		}
		_ = e.Request.Visit(href) // already visited, depth, domain: skipped
	})
	c.OnResponse(func(r *colly.Response) { pages.Add(1) })
	c.OnError(func(r *colly.Response, err error) { errs.Add(1) })
	if err := c.Visit(*seed); err != nil {
		log.Fatal(err)
	}
	c.Wait()
	fmt.Fprintf(os.Stderr, "pages %d errors %d a[href] %d\n", pages.Load(), errs.Load(), links.Load())
}
