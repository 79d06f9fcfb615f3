package crawler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/parser"
	"github.com/crawl-dev/crawl/store/save"
	"github.com/crawl-dev/crawl/store/warc"
)

// Scope says which links a crawl follows, relative to its seeds.
type Scope int

const (
	// ScopeHost follows links to the host (and port) of a seed.
	ScopeHost Scope = iota
	// ScopeDomain follows links within the registrable domain of a seed
	// (example.com covers www.example.com and docs.example.com).
	ScopeDomain
	// ScopeAll follows every http(s) link.
	ScopeAll
)

// ParseScope parses "host", "domain" or "all".
func ParseScope(s string) (Scope, error) {
	switch s {
	case "host":
		return ScopeHost, nil
	case "domain":
		return ScopeDomain, nil
	case "all":
		return ScopeAll, nil
	}
	return 0, fmt.Errorf("scope %q: want host, domain or all", s)
}

func (s Scope) String() string {
	switch s {
	case ScopeHost:
		return "host"
	case ScopeDomain:
		return "domain"
	case ScopeAll:
		return "all"
	}
	return fmt.Sprintf("Scope(%d)", int(s))
}

// Config is a crawl's configuration. Start from DefaultConfig and change
// what differs: the zero value of every field means what it says (zero
// redirects, no grace, no Crawl-delay), and the fields where zero means
// nothing useful (Concurrency, PerHost, Timeout, MaxBody, MaxURLLength,
// FlushInterval, UserAgent) are rejected by Validate.
type Config struct {
	// Seeds are the absolute http(s) URLs the crawl starts from. Required.
	Seeds []string
	// MaxDepth is the number of link hops followed from a seed; 0 fetches
	// the seeds only. A redirect is not a hop.
	MaxDepth int
	// MaxPages stops the crawl after this many records; 0 means no limit.
	MaxPages int
	// Concurrency is the number of fetches in flight; it must be positive.
	Concurrency int
	// PerHost is the number of fetches in flight per host; it must be
	// positive.
	PerHost int
	// Rate is requests per second per host; 0 means unlimited. robots.txt
	// Crawl-delay and Retry-After still apply.
	Rate float64
	// Scope says which links to follow; the zero value is ScopeHost.
	Scope Scope
	// Include, if not empty, keeps only links matching one of them; Exclude
	// drops links matching any. Seeds are not filtered.
	Include, Exclude []*regexp.Regexp
	// Timeout bounds one request, body included; it must be positive.
	Timeout time.Duration
	// Retries is how many times a transient failure (network error,
	// timeout, 408, 429, 5xx) is retried; 0 means never.
	Retries int
	// MaxBody is the most body bytes read per response, after
	// decompression; the rest is cut and the record marked truncated. It
	// must be positive.
	MaxBody int64
	// MaxRedirects is the longest redirect chain followed. 0 follows none:
	// a 3xx is recorded with a too-many-redirects error and its target is
	// not queued.
	MaxRedirects int
	// MaxURLLength drops links longer than this many bytes; it must be
	// positive.
	MaxURLLength int
	// MaxRepeats drops links whose path has one segment more than this many
	// times, a sign of a crawler trap such as /a/b/a/b/a/b; 0 means no
	// check.
	MaxRepeats int
	// MaxHostPages is the most URLs of one host that are fetched; further
	// URLs of the host are recorded with an error and not fetched, so that
	// with ScopeAll one host cannot take the whole crawl. 0 (the default)
	// means no limit: traps are bounded by MaxDepth, MaxRepeats and
	// MaxURLLength already, and a limit by default would give a big site's
	// own crawl an error record for every page past it.
	MaxHostPages int
	// UserAgent identifies the crawler in requests, and its first word in
	// robots.txt; it must not be empty.
	UserAgent string
	// IgnoreRobots skips robots.txt and meta robots nofollow.
	IgnoreRobots bool
	// CrawlDelayCap caps a robots.txt Crawl-delay; 0 means Crawl-delay is
	// not honoured.
	CrawlDelayCap time.Duration
	// BackoffBase and BackoffMax shape the exponential backoff, with
	// jitter, of a host after a transient failure without Retry-After (and
	// the retries of a failing frontier). BackoffBase must not exceed
	// BackoffMax; both 0 means retrying at once.
	BackoffBase, BackoffMax time.Duration
	// RetryAfterMax caps a server's Retry-After; 0 means a Retry-After is
	// waited for 0s (the retry is not delayed by it).
	RetryAfterMax time.Duration
	// Grace is how long in-flight fetches may run on after the crawl's
	// context is cancelled before they are abandoned; 0 abandons them at
	// once.
	Grace time.Duration
	// FlushInterval is how often written records are flushed; it must be
	// positive.
	FlushInterval time.Duration
	// Save, if not nil, keeps the body of every 2xx response that Accept
	// and Reject keep, in the directory's layout (package store/save).
	Save *save.Dir
	// WARC, if not nil, gets a request and a response record for every
	// request the crawl makes, robots.txt and retries included.
	WARC *warc.Writer
	// Accept and Reject decide which responses other than HTML pages are
	// fetched and saved: comma-separated media types ("application/pdf",
	// "image/*") and extensions (".pdf"); see keepRules. Empty keeps all.
	Accept, Reject []string
	// Extract, if not nil, takes the fields of every HTML page from the
	// parse that finds its links (parser.Extractor); they are the
	// record's fields.
	Extract *parser.Extractor
	// Anchors records each page's anchors (its link elements with their
	// text, store.Record.Anchors), for a report of where and how a URL is
	// linked (crawl links).
	Anchors bool
	// CheckLinks requests, once each, the links of in-scope HTML pages
	// that the crawl does not follow (another host, left out by Include,
	// Exclude, Accept or Reject, one hop past MaxDepth), to record their
	// status: HEAD, then GET when HEAD is answered with an error; never
	// parsed, saved or archived (check.go). Their records say check.
	CheckLinks bool
	// Sitemaps reads, for each seed's origin, the sitemaps its robots.txt
	// names (or /sitemap.xml when it names none), sitemap indexes
	// included, and queues their URLs that are in scope and pass the
	// filters as depth-0 URLs whose parent is the sitemap (sitemap.go).
	// Each sitemap gets a record of its own.
	Sitemaps bool
	// SitemapSince, if not zero, skips the sitemap entries (URLs and the
	// sitemaps of an index) whose lastmod is before it; entries without a
	// lastmod are read.
	SitemapSince time.Time
	// RequireFields are names of Extract's fields that an HTML page with a
	// 2xx status must have: one without is recorded with an error
	// (error_kind missing_field), its links still followed.
	RequireFields []string
	// AllowPrivate lets the crawler connect to addresses that are not
	// public: loopback, private, link-local, unspecified and reserved
	// ones (address.go). Without it, such an address is refused unless a
	// seed is on one of its class (a test server on loopback, an
	// intranet); a refused URL is recorded with error_kind
	// private_address.
	AllowPrivate bool
	// Resolver looks up host names for the crawler's dialer; nil is
	// net.DefaultResolver. Dial connects to the address ("IP:port") the
	// dialer chose; nil is a net.Dialer's. Both are for tests; neither
	// is used with a Transport of one's own.
	Resolver Resolver
	Dial     func(ctx context.Context, network, address string) (net.Conn, error)
	// Transport makes the HTTP requests; nil means a transport tuned for
	// crawling, owned by the crawler, which applies the address policy
	// (AllowPrivate). A Transport of one's own has no address policy.
	Transport http.RoundTripper
	// Since, if not nil, is the previous crawl of the site (crawl --since
	// FILE, LoadHistory): pages are asked for with its validators
	// (If-None-Match, If-Modified-Since), a 304 stands for the previous
	// page and its links are followed, every record says how it changed
	// (Record.Change, history.go) and, once everything reachable is
	// recorded, each of its URLs not reached again gets a gone record.
	Since *History
	// ChangesOnly writes only the records whose change is not
	// unchanged (crawl --changes-only): a nightly diff.
	ChangesOnly bool
	// Observer, if not nil, is told of every request, retry and record as
	// they happen (see Observer); it must be safe for concurrent use.
	Observer Observer
}

// DefaultConfig returns the defaults of every field: polite (robots.txt
// obeyed, two fetches per host, Crawl-delay honoured up to 30s) and bounded.
// It has no seeds. This is the one place the defaults are written; the
// command line's flags start from it.
func DefaultConfig() Config {
	return Config{
		MaxDepth:      2,
		Concurrency:   16,
		PerHost:       2,
		Scope:         ScopeHost,
		Timeout:       30 * time.Second,
		Retries:       2,
		MaxBody:       10 << 20,
		MaxRedirects:  10,
		MaxURLLength:  2048,
		MaxRepeats:    2,
		MaxHostPages:  0, // see MaxHostPages
		UserAgent:     "crawl/0.1 (+https://github.com/crawl-dev/crawl)",
		CrawlDelayCap: 30 * time.Second,
		BackoffBase:   time.Second,
		BackoffMax:    30 * time.Second,
		RetryAfterMax: 2 * time.Minute,
		Grace:         5 * time.Second,
		FlushInterval: time.Second,
	}
}

// Validate reports the first problem with the configuration, as a one-line
// error suitable for a command line user.
func (c Config) Validate() error {
	if len(c.Seeds) == 0 {
		return errors.New("no seed URL given")
	}
	for _, s := range c.Seeds {
		if _, err := parser.Normalize(s); err != nil {
			return fmt.Errorf("seed %q: %w", s, err)
		}
	}
	positive := []struct {
		name string
		v    float64
	}{
		{"concurrency", float64(c.Concurrency)},
		{"per-host", float64(c.PerHost)},
		{"timeout", float64(c.Timeout)},
		{"max-body", float64(c.MaxBody)},
		{"max-url-length", float64(c.MaxURLLength)},
		{"flush-interval", float64(c.FlushInterval)},
	}
	for _, f := range positive {
		if f.v <= 0 {
			return fmt.Errorf("%s must be greater than zero", f.name)
		}
	}
	nonNeg := []struct {
		name string
		v    float64
	}{
		{"depth", float64(c.MaxDepth)},
		{"max-pages", float64(c.MaxPages)},
		{"rate", c.Rate},
		{"retries", float64(c.Retries)},
		{"max-redirects", float64(c.MaxRedirects)},
		{"max-repeats", float64(c.MaxRepeats)},
		{"max-host-pages", float64(c.MaxHostPages)},
		{"crawl-delay-cap", float64(c.CrawlDelayCap)},
		{"backoff-base", float64(c.BackoffBase)},
		{"backoff-max", float64(c.BackoffMax)},
		{"retry-after-max", float64(c.RetryAfterMax)},
		{"grace", float64(c.Grace)},
	}
	for _, f := range nonNeg {
		if f.v < 0 {
			return fmt.Errorf("%s must not be negative", f.name)
		}
	}
	if c.UserAgent == "" {
		return errors.New("user-agent must not be empty")
	}
	if _, err := parseKeepRules(c.Accept, c.Reject); err != nil {
		return err
	}
	for _, name := range c.RequireFields {
		if !slices.Contains(c.Extract.Names(), name) {
			return fmt.Errorf("required field %q has no extract rule", name)
		}
	}
	if c.Scope < ScopeHost || c.Scope > ScopeAll {
		return fmt.Errorf("unknown scope %d", int(c.Scope))
	}
	if c.BackoffBase > c.BackoffMax {
		return errors.New("backoff-base must not exceed backoff-max")
	}
	return nil
}

// Policy is the per-host politeness a frontier must enforce for this
// configuration. Build the frontier with it.
func (c Config) Policy() frontier.Policy {
	p := frontier.Policy{MaxInflight: c.PerHost}
	if c.Rate > 0 {
		p.Delay = time.Duration(float64(time.Second) / c.Rate)
	}
	return p
}
