// Package testserver serves deterministic synthetic websites whose crawl
// results are known in advance, for integration tests and benchmarks of the
// crawler, in-process on loopback or through cmd/testserver.
//
// New generates a Site from a Config: a seeded PCG stream decides every
// page, link and spelling, so one Config gives the same site, byte for byte,
// on every machine. The site is one model from which both the handler
// (Site.Handler) and the expected results (Site.Expect) are derived:
//
//	site := testserver.New(testserver.Config{Pages: 200, Features: testserver.AllFeatures})
//	srv := httptest.NewServer(site.Handler())
//	defer srv.Close()
//	// crawl srv.URL + "/" to depth 3, then:
//	want := site.Expect("/", 3)
//	err := want.Compare(records)                       // what was recorded
//	err = want.CheckRequests(site.Requests(), retries) // what was requested
//	links := site.Links("/p/3", srv.URL)               // a record's links field
//
// Expectations follow the crawler's rules: URLs are keyed by their
// normalized path (with query); links are followed only from HTML 2xx pages
// (a[href], area[href], frame[src], iframe[src]) to the seed's host and
// only while the child's depth is within the limit; a redirect is recorded
// as its own 3xx record and its target is queued at the same depth; URLs
// disallowed by robots.txt are recorded with status 0 and an error and
// never requested; 4xx/5xx pages are recorded with an error and not parsed;
// non-HTML 2xx responses are recorded and not parsed; a URL reached through
// MaxRedirects redirects that redirects again is recorded with an error.
// The expected depth is the shortest link distance (redirects count 0).
//
// Optional Features add what makes crawling hard: robots.txt rules,
// non-HTML files, redirects (chains, a chain past the limit, a cycle, one
// to another host), error pages, many spellings of one link, links to
// other hosts, link look-alikes (comments, scripts, mailto:...), frames,
// image maps, <base href> and query strings. Every page a correct crawl
// must not request is served anyway, so a mistake shows up in the request
// log (Requests, Order, MaxInflight).
//
// Concurrency: a Site is immutable after New except for its request log;
// every method is safe for concurrent use, and Handler serves any number of
// requests at once. A Site starts no goroutines.
//
// Files: site.go (Config, Site, the model), generate.go (the generator),
// render.go and body.go (link spellings and bodies, rendered once by New),
// handler.go (serving and the request log), expect.go (expected results).
package testserver
