package testserver

import (
	"hash/fnv"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults and limits applied by New.
const (
	DefaultPages = 100
	DefaultLinks = 10
	// MaxPages and MaxLinks bound a site so that New cannot be asked to
	// allocate without limit; larger values are clamped.
	MaxPages = 1_000_000
	MaxLinks = 1000
	// MaxGeneration bounds Config.Generation: every step costs a pass over
	// the normal pages.
	MaxGeneration = 1000
	// DefaultMaxRedirects is the redirect limit Expect assumes: the crawler's
	// default.
	DefaultMaxRedirects = 10
	// ExternalHost is the host of links to another site. Nothing listens on
	// port 1 of 127.0.0.2, so a crawler that wrongly follows such a link
	// fails fast on loopback instead of touching the network.
	ExternalHost = "127.0.0.2:1"
)

// Config describes a generated site. The zero value is a plain site of
// DefaultPages pages with DefaultLinks links each and generator seed 0.
type Config struct {
	// Pages is the number of normal HTML pages: "/" and /p/1 ... /p/N-1.
	// Values <= 0 mean DefaultPages; values above MaxPages are clamped.
	Pages int
	// Links is the number of links from each normal page to other normal
	// pages (one to the next page, the rest random, mostly nearby). Feature
	// pages add a few more. Values <= 0 mean DefaultLinks; values above
	// MaxLinks are clamped.
	Links int
	// Seed seeds the generator: the same Config gives the same site, byte
	// for byte, on every machine.
	Seed int64
	// Latency delays every HTML response (pages and error pages; not
	// robots.txt, redirects or files) by this much.
	Latency time.Duration
	// Jitter adds a per-path delay in [0, Jitter) to HTML responses, derived
	// from a hash of the path, so that the same page is always as slow and
	// some pages found late finish before pages found early.
	Jitter time.Duration
	// Features selects optional parts of the site; 0 is a plain site.
	Features Features
	// Generation is how many nightly change steps the site has been through
	// (see "Generations and validators" in the package documentation): 0
	// is the site as generated, and generation g applies steps 1..g to it,
	// each changing, removing and moving a few normal pages and adding new
	// ones. Hostile and robots sites have no generations. Values < 0 mean
	// 0; values above MaxGeneration are clamped.
	Generation int
}

func (c Config) withDefaults() Config {
	if c.Pages <= 0 {
		c.Pages = DefaultPages
	}
	c.Pages = min(c.Pages, MaxPages)
	if c.Links <= 0 {
		c.Links = DefaultLinks
	}
	c.Links = min(c.Links, MaxLinks)
	c.Latency = max(c.Latency, 0)
	c.Jitter = max(c.Jitter, 0)
	c.Generation = min(max(c.Generation, 0), MaxGeneration)
	return c
}

// Site is a generated site: an immutable model of resources and links, the
// handler that serves it, and a log of the requests it served. A Site starts
// no goroutines. All methods are safe for concurrent use.
type Site struct {
	cfg      Config
	nodes    []*node          // every resource except robots.txt, in generation order
	byPath   map[string]*node // canonical path (with query) -> node, robots.txt included
	robots   *node
	disallow []string // robots.txt Disallow prefixes for every user agent
	external []string // absolute URLs on other hosts that the site links or redirects to

	hosts atomic.Pointer[hostForms] // last Host header's rendered forms

	inflight    atomic.Int64
	maxInflight atomic.Int64
	seq         atomic.Int64 // request sequence number, for Order

	mu         sync.Mutex
	unknown    map[string]*counter // requests for paths that are not nodes
	maxUnknown int                 // distinct unknown paths kept; tests lower it

	log     requestLog
	hostile *hostile // the fixtures of a hostile or robots site; nil for generated sites
}

// counter counts the requests for one path.
type counter struct {
	hits  atomic.Int64
	first atomic.Int64 // sequence number of the first request; 0 = none
}

// hit counts a request and returns the path's count including it.
func (c *counter) hit(seq int64) int64 {
	n := c.hits.Add(1)
	c.first.CompareAndSwap(0, seq)
	return n
}

func (c *counter) reset() {
	c.hits.Store(0)
	c.first.Store(0)
}

type nodeKind uint8

const (
	kindPage     nodeKind = iota // HTML, status 200, links followed
	kindFile                     // non-HTML, status 200, not parsed
	kindRedirect                 // 3xx with Location
	kindError                    // HTML body with a 4xx/5xx status
)

type pageStyle uint8

const (
	stylePlain  pageStyle = iota
	styleFrames           // <frameset> of <frame src>
	styleBase             // <base href="/p/">: relative links resolve against /p/
)

// encoding is how the handler sends a node's body.
type encoding uint8

const (
	encIdentity encoding = iota // Content-Length, one write
	encGzip                     // Content-Encoding: gzip when the request accepts it
	encChunked                  // no Content-Length, several flushes: Transfer-Encoding: chunked
)

// baseHref is the <base href> of the styleBase page.
const baseHref = "/p/"

// node is one resource of the site. Everything but the counter is set by
// New and never changes.
type node struct {
	id     int32  // index in Site.nodes; -1 for robots.txt
	path   string // canonical path with query
	kind   nodeKind
	status int
	ctype  []string // Content-Type header value (shared, never modified)
	title  string   // decoded <title> of HTML nodes
	style  pageStyle
	links  []link  // followed only when the node is an HTML 2xx page
	decoys []decoy // link look-alikes, rendered but never followed
	paras  int     // paragraphs of filler text on HTML pages

	// Redirects.
	target   int32  // node index of the Location, -1 when it is on another host
	ext      string // absolute Location on another host
	locStyle uint8  // how Location is spelled, see location

	enc encoding // how an HTML page's body is sent (Encoded feature)

	// revision is the last generation step that changed the node's body
	// (0: never); vclass is which validators a 200 sends (valNA: none and
	// no conditional requests, as for every node of hostile sites).
	revision int32
	vclass   validatorClass

	body  []byte // rendered body with the host holes left out
	holes []hole
	delay time.Duration

	fx *fixture // how a hostile site serves the node; nil on generated sites

	counter
}

// link is one followable link from a page.
type link struct {
	to  int32 // node index, -1 when ext is set
	ext int32 // 1 + index in Site.external of an absolute URL on another host; 0 = none
	alt bool  // spelled with the alternate host name: out of scope
	v   variant
	el  element
}

func (n *node) isHTML2xx() bool { return n.kind == kindPage }

// delayFor is the response delay of an HTML node: Latency plus a jitter in
// [0, Jitter) derived from the path.
func delayFor(cfg Config, path string) time.Duration {
	d := cfg.Latency
	if cfg.Jitter > 0 {
		h := fnv.New64a()
		h.Write([]byte(path)) // hash.Hash.Write never returns an error
		x := h.Sum64() ^ uint64(cfg.Seed)
		// splitmix64 finaliser: spreads similar paths over the range.
		x ^= x >> 30
		x *= 0xbf58476d1ce4e5b9
		x ^= x >> 27
		x *= 0x94d049bb133111eb
		x ^= x >> 31
		d += time.Duration(x % uint64(cfg.Jitter))
	}
	return d
}

// Config returns the site's configuration with defaults applied.
func (s *Site) Config() Config { return s.cfg }

// Generation returns the site's generation (Config.Generation with
// defaults applied); 0 for hostile and robots sites.
func (s *Site) Generation() int { return s.cfg.Generation }

// Pages returns the number of normal HTML pages ("/" and /p/N) of a
// generated site; 0 for hostile and robots sites.
func (s *Site) Pages() int { return s.cfg.Pages }

// Paths returns the canonical path (with query) of every resource the site
// serves, robots.txt included, sorted.
func (s *Site) Paths() []string {
	paths := make([]string, 0, len(s.byPath))
	for p := range s.byPath {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

// Delay returns how long the handler waits before answering a request for
// path (zero for unknown paths and non-HTML resources of generated sites).
func (s *Site) Delay(path string) time.Duration {
	if n := s.byPath[path]; n != nil {
		if n.fx != nil {
			return n.fx.delay
		}
		return n.delay
	}
	return 0
}

// Disallowed reports whether robots.txt disallows path for every user agent
// on a generated site (hostile and robots sites answer false: their rules
// depend on the crawl, see ExpectCrawl).
func (s *Site) Disallowed(path string) bool {
	for _, p := range s.disallow {
		if len(path) >= len(p) && path[:len(p)] == p {
			return true
		}
	}
	return false
}
