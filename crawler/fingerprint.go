package crawler

import (
	"crypto/sha256"
	"fmt"
	"time"
)

// Fingerprint identifies what a crawl records: a SHA-256 of a canonical
// text of every field that changes which URLs get a record or what their
// records say (seeds, depth, page limits, scope, filters, trap limits,
// redirects, body size, robots.txt and the robots.txt name of UserAgent,
// the --accept/--reject rules, whether bodies are saved and archived, and
// the extraction rules, required fields, anchors, link checks, sitemaps, and the previous crawl and --changes-only).
// Fields that only change how fast or how politely a crawl goes
// (Concurrency, PerHost, Rate, Timeout, Retries, backoffs, Crawl-delay and
// Retry-After caps, Grace, FlushInterval, Transport, Observer) are left
// out, so a resumed crawl may change them.
//
// A persistent frontier keeps the fingerprint of the crawl it was made
// for, so that it is not resumed by another one.
func (c Config) Fingerprint() []byte {
	h := sha256.New()
	fmt.Fprintf(h, "crawl config fingerprint 1\n")
	fmt.Fprintf(h, "seeds=%q\n", c.Seeds)
	fmt.Fprintf(h, "depth=%d\nmax-pages=%d\nscope=%s\n", c.MaxDepth, c.MaxPages, c.Scope)
	for _, re := range c.Include {
		fmt.Fprintf(h, "include=%q\n", re.String())
	}
	for _, re := range c.Exclude {
		fmt.Fprintf(h, "exclude=%q\n", re.String())
	}
	fmt.Fprintf(h, "max-url-length=%d\nmax-repeats=%d\nmax-host-pages=%d\n", c.MaxURLLength, c.MaxRepeats, c.MaxHostPages)
	fmt.Fprintf(h, "max-redirects=%d\nmax-body=%d\n", c.MaxRedirects, c.MaxBody)
	fmt.Fprintf(h, "ignore-robots=%t\nrobots-agent=%q\n", c.IgnoreRobots, robotsAgent(c.UserAgent))
	fmt.Fprintf(h, "accept=%q\nreject=%q\nsave=%t\nwarc=%t\n", c.Accept, c.Reject, c.Save != nil, c.WARC != nil)
	// Only when there are rules, so that a crawl without keeps the
	// fingerprint it had before extraction existed.
	for _, r := range c.Extract.Rules() {
		fmt.Fprintf(h, "extract=%q all=%t selector=%q attr=%q\n", r.Name, r.All, r.Selector, r.Attr)
	}
	for _, name := range c.RequireFields {
		fmt.Fprintf(h, "require-field=%q\n", name)
	}
	if c.Anchors {
		fmt.Fprintf(h, "anchors=true\n")
	}
	if c.AllowPrivate {
		fmt.Fprintf(h, "allow-private=true\n")
	}
	if c.CheckLinks {
		fmt.Fprintf(h, "check-links=true\n")
	}
	if c.Sitemaps {
		fmt.Fprintf(h, "sitemaps=true\n")
	}
	if !c.SitemapSince.IsZero() {
		fmt.Fprintf(h, "sitemap-since=%s\n", c.SitemapSince.UTC().Format(time.RFC3339Nano))
	}
	if c.Since != nil {
		fmt.Fprintf(h, "since=%d\n", c.Since.gen)
	}
	if c.ChangesOnly {
		fmt.Fprintf(h, "changes-only=true\n")
	}
	return h.Sum(nil)
}
