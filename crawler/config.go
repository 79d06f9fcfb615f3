package crawler

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/parser"
	"github.com/crawl-dev/crawl/store/save"
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

// Defaults for the Config fields whose zero value means "use the default".
const (
	DefaultConcurrency   = 16
	DefaultPerHost       = 2
	DefaultTimeout       = 30 * time.Second
	DefaultMaxBody       = 10 << 20
	DefaultMaxRedirects  = 10
	DefaultMaxURLLength  = 2048
	DefaultMaxRepeats    = 2
	DefaultUserAgent     = "crawl/0.1 (+https://github.com/crawl-dev/crawl)"
	DefaultCrawlDelayCap = 30 * time.Second
	DefaultBackoffBase   = time.Second
	DefaultBackoffMax    = 30 * time.Second
	DefaultRetryAfterMax = 2 * time.Minute
	DefaultGrace         = 5 * time.Second
	DefaultFlushInterval = time.Second
)

// Config is a crawl's configuration. The zero value of a field marked
// "default" means that default; other zero values mean what they say.
type Config struct {
	// Seeds are the absolute http(s) URLs the crawl starts from. Required.
	Seeds []string
	// MaxDepth is the number of link hops followed from a seed; 0 fetches
	// the seeds only. A redirect is not a hop.
	MaxDepth int
	// MaxPages stops the crawl after this many records; 0 means no limit.
	MaxPages int
	// Concurrency is the number of fetches in flight (default 16).
	Concurrency int
	// PerHost is the number of fetches in flight per host (default 2).
	PerHost int
	// Rate is requests per second per host; 0 means unlimited. robots.txt
	// Crawl-delay and Retry-After still apply.
	Rate float64
	// Scope says which links to follow (default ScopeHost).
	Scope Scope
	// Include, if not empty, keeps only links matching one of them; Exclude
	// drops links matching any. Seeds are not filtered.
	Include, Exclude []*regexp.Regexp
	// Timeout bounds one request, body included (default 30s).
	Timeout time.Duration
	// Retries is how many times a transient failure (network error,
	// timeout, 408, 429, 5xx) is retried.
	Retries int
	// MaxBody is the most body bytes read per response, after
	// decompression (default 10 MiB); the rest is cut and the record marked
	// truncated.
	MaxBody int64
	// MaxRedirects is the longest redirect chain followed (default 10).
	MaxRedirects int
	// MaxURLLength drops links longer than this many bytes (default 2048).
	MaxURLLength int
	// MaxRepeats drops links whose path has one segment more than this many
	// times, a sign of a crawler trap such as /a/b/a/b/a/b (default 2; a
	// negative value turns the check off).
	MaxRepeats int
	// MaxHostPages is the most URLs of one host that are fetched; further
	// URLs of the host are recorded with an error and not fetched, so an
	// endless calendar or session-id trap cannot keep a crawl alive
	// (0 means no limit).
	MaxHostPages int
	// UserAgent identifies the crawler in requests and in robots.txt
	// (default DefaultUserAgent).
	UserAgent string
	// IgnoreRobots skips robots.txt and meta robots nofollow.
	IgnoreRobots bool
	// CrawlDelayCap caps a robots.txt Crawl-delay (default 30s).
	CrawlDelayCap time.Duration
	// BackoffBase and BackoffMax shape the exponential backoff, with
	// jitter, of a host after a transient failure without Retry-After
	// (defaults 1s and 30s).
	BackoffBase, BackoffMax time.Duration
	// RetryAfterMax caps a server's Retry-After (default 2m).
	RetryAfterMax time.Duration
	// Grace is how long in-flight fetches may run on after the crawl's
	// context is cancelled before they are abandoned (default 5s).
	Grace time.Duration
	// FlushInterval is how often written records are flushed (default 1s).
	FlushInterval time.Duration
	// Save, if not nil, keeps the body of every 2xx response that Accept
	// and Reject keep, in the directory's layout (package store/save).
	Save *save.Dir
	// Accept and Reject decide which responses other than HTML pages are
	// fetched and saved: comma-separated media types ("application/pdf",
	// "image/*") and extensions (".pdf"); see keepRules. Empty keeps all.
	Accept, Reject []string
	// Transport makes the HTTP requests; nil means a transport tuned for
	// crawling, owned by the crawler.
	Transport http.RoundTripper
	// Observer, if not nil, is told of every request, retry and record as
	// they happen (see Observer); it must be safe for concurrent use.
	Observer Observer
}

// withDefaults returns c with defaults filled in.
func (c Config) withDefaults() Config {
	setDefault(&c.Concurrency, DefaultConcurrency)
	setDefault(&c.PerHost, DefaultPerHost)
	setDefault(&c.Timeout, DefaultTimeout)
	setDefault(&c.MaxBody, DefaultMaxBody)
	setDefault(&c.MaxRedirects, DefaultMaxRedirects)
	setDefault(&c.MaxURLLength, DefaultMaxURLLength)
	setDefault(&c.MaxRepeats, DefaultMaxRepeats)
	setDefault(&c.UserAgent, DefaultUserAgent)
	setDefault(&c.CrawlDelayCap, DefaultCrawlDelayCap)
	setDefault(&c.BackoffBase, DefaultBackoffBase)
	setDefault(&c.BackoffMax, DefaultBackoffMax)
	setDefault(&c.RetryAfterMax, DefaultRetryAfterMax)
	setDefault(&c.Grace, DefaultGrace)
	setDefault(&c.FlushInterval, DefaultFlushInterval)
	return c
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
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
	nonNeg := []struct {
		name string
		v    float64
	}{
		{"depth", float64(c.MaxDepth)},
		{"max-pages", float64(c.MaxPages)},
		{"concurrency", float64(c.Concurrency)},
		{"per-host", float64(c.PerHost)},
		{"rate", c.Rate},
		{"timeout", float64(c.Timeout)},
		{"retries", float64(c.Retries)},
		{"max-body", float64(c.MaxBody)},
		{"max-redirects", float64(c.MaxRedirects)},
		{"max-url-length", float64(c.MaxURLLength)},
		{"max-host-pages", float64(c.MaxHostPages)},
		{"crawl-delay-cap", float64(c.CrawlDelayCap)},
		{"backoff-base", float64(c.BackoffBase)},
		{"backoff-max", float64(c.BackoffMax)},
		{"retry-after-max", float64(c.RetryAfterMax)},
		{"grace", float64(c.Grace)},
		{"flush-interval", float64(c.FlushInterval)},
	}
	for _, f := range nonNeg {
		if f.v < 0 {
			return fmt.Errorf("%s must not be negative", f.name)
		}
	}
	if _, err := parseKeepRules(c.Accept, c.Reject); err != nil {
		return err
	}
	if c.Scope < ScopeHost || c.Scope > ScopeAll {
		return fmt.Errorf("unknown scope %d", int(c.Scope))
	}
	if c.BackoffMax != 0 && c.BackoffBase > c.BackoffMax {
		return errors.New("backoff-base must not exceed backoff-max")
	}
	return nil
}

// Policy is the per-host politeness a frontier must enforce for this
// configuration. Build the frontier with it.
func (c Config) Policy() frontier.Policy {
	c = c.withDefaults()
	p := frontier.Policy{MaxInflight: c.PerHost}
	if c.Rate > 0 {
		p.Delay = time.Duration(float64(time.Second) / c.Rate)
	}
	return p
}
