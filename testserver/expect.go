package testserver

import (
	"mime"
	"slices"
	"strings"
	"time"
)

// Outcome is what a crawl must record for one URL. The same type carries
// what a crawl did record, for Compare; fields marked "where got sets it"
// are compared only when the recorded outcome fills them in.
type Outcome struct {
	// Depth is the number of link hops from the seed along the shortest
	// path; following a redirect is not a hop.
	Depth int
	// Status is the HTTP status of the response: 0 when there was none
	// (robots.txt kept the URL from being requested, or no answer came
	// before the timeout).
	Status int
	// Err reports whether the record carries an error: robots-disallowed,
	// a status that is not 2xx (redirects aside), a redirect past the
	// redirect limit, back to itself or unusable, a timeout.
	Err bool
	// Error is a part of the record's error message that identifies the
	// failure ("timeout after", "http status 429", "redirect loop"); empty
	// when any error (or none) will do. In a recorded outcome it is the
	// whole message. Compared where got sets it.
	Error string
	// Redirect is the final_url of a 3xx record: the normalized Location (a
	// path on this site, or an absolute URL on another host), or the URL's
	// own path when there is no usable Location. Compared where got sets
	// it.
	Redirect string
	// Robots reports that robots.txt kept the URL from being requested: it
	// disallows it, or robots.txt could not be read (5xx, 429, no answer)
	// so the host counts as disallowed. Recorded with status 0 and an
	// error; never requested.
	Robots bool
	// Title is the decoded <title> of an HTML 2xx page; compared when not
	// empty.
	Title string
	// ContentType is the media type of the response (no parameters, lower
	// case, sniffed when the response has none); empty for redirects
	// without a body and for URLs that got no response. Compared where got
	// sets it.
	ContentType string
	// Truncated reports that the body was longer than the crawl's MaxBody
	// and was cut there (the record's bytes are then MaxBody). Always
	// compared.
	Truncated bool
	// Transient reports a failure the crawler retries although its status
	// does not say so: a timeout.
	Transient bool
	// Attempts is the number of requests for the URL, where it is known: 1,
	// 1+retries for a failure retried to the end, N+1 for a page that fails
	// N times before it succeeds. 0 means not predicted. Compared where
	// both set it.
	Attempts int
	// RetryWait is the least time between two requests for the URL: the
	// Retry-After it answers with. Checked by CheckLog.
	RetryWait time.Duration
	// Revision is the generation step that last changed the body of a 2xx
	// page or file of a generated site (0: never; see Config.Generation).
	// A crawler cannot see it; compared where got sets it.
	Revision int
	// ETag and LastModified are the field values the 200 of a generated
	// site's page or file sends (to a client that accepts gzip, as Served
	// asks: a gzip representation has its own strong ETag); empty when it
	// sends none. Compared where got sets them.
	ETag, LastModified string
}

// Retried reports whether the crawler retries this outcome (timeouts, 408,
// 429 and 5xx), so that its URL is requested 1+retries times.
func (o Outcome) Retried() bool {
	return o.Transient || o.Status >= 500 || o.Status == 429 || o.Status == 408
}

// ErrorKind is the error_kind the crawler's record of this outcome carries
// (its classification of the error), "" for an outcome without error.
func (o Outcome) ErrorKind() string {
	switch {
	case !o.Err:
		return ""
	case o.Robots && strings.Contains(o.Error, "unavailable"):
		return "robots_unavailable"
	case o.Robots:
		return "robots_disallowed"
	case strings.Contains(o.Error, "redirect loop"):
		return "redirect_loop"
	case strings.Contains(o.Error, "timeout"):
		return "timeout"
	case o.Status == 403 || o.Status == 429 || o.Status == 999:
		return "blocked"
	case o.Status >= 500:
		return "http_5xx"
	case o.Status >= 400:
		return "http_4xx"
	case o.Status >= 300 && o.Redirect != "" && !strings.Contains(o.Error, "unusable location"):
		return "too_many_redirects"
	}
	return "other" // an unusable Location, a 3xx without one, ...
}

// Crawl describes the crawl an Expectation is computed for: host scope,
// breadth first.
type Crawl struct {
	// Seed is the canonical path (with query) the crawl starts from.
	Seed string
	// Sources are other paths queued at depth 0 with the seed: the pages
	// a sitemap lists (SitemapSite.Sources). Generated sites only.
	Sources []string
	// MaxDepth is the largest link depth fetched; the seed is depth 0.
	MaxDepth int
	// MaxRedirects is the longest redirect chain followed: a URL reached
	// through MaxRedirects redirects that answers with yet another redirect
	// is recorded with an error and its target is not queued. 0 means
	// DefaultMaxRedirects; negative means no redirect is followed.
	MaxRedirects int

	// The fields below describe the crawler's other limits. Hostile and
	// robots sites use them; a generated site is small and reliable enough
	// not to need them.

	// Retries is how many times a transient failure is retried.
	Retries int
	// Timeout is the per-request timeout (0: DefaultTimeout): a fixture
	// slower than this times out.
	Timeout time.Duration
	// MaxBody is the most body bytes read (0: DefaultMaxBody). Only the
	// size fixtures are larger than 16 KiB; smaller values are not
	// modelled for other pages.
	MaxBody int64
	// MaxRepeats drops links whose path has one segment more than this
	// many times (0: DefaultMaxRepeats; negative: no limit).
	MaxRepeats int
	// UserAgent is the crawler's User-Agent; its product token (before the
	// first "/" or space, lower case) picks the robots.txt group. "" means
	// the token "crawl".
	UserAgent string
	// IgnoreRobots skips robots.txt and <meta name="robots"> nofollow.
	IgnoreRobots bool
}

// Defaults of the crawler's limits that Crawl assumes.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultMaxBody    = 10 << 20
	DefaultMaxRepeats = 2
	DefaultAgentToken = "crawl"
)

// Expectation is what a crawl of the site must produce.
type Expectation struct {
	Crawl Crawl
	// Records holds one outcome per URL the crawl must record, keyed by the
	// normalized path with query (scheme and host left out).
	Records map[string]Outcome
	// Never lists, sorted, paths that a correct crawl never requests:
	// robots-disallowed, beyond the depth limit, out of scope, only linked
	// from pages that are not parsed, only named by link look-alikes, or
	// (on hostile sites) the next page of a trap and session-id spellings
	// of a page already fetched.
	Never []string
	// External lists, sorted, the absolute URLs on other hosts that the site
	// links or redirects to. A host-scoped crawl never requests them.
	External []string
	// Support holds the requests a correct crawl makes that are not
	// records, with their counts: robots.txt and where it redirects. nil
	// means robots.txt once.
	Support map[string]int
	// MinGap is the least time between the starts of two consecutive page
	// requests (robots.txt's Crawl-delay); 0 for none. Checked by CheckLog.
	MinGap time.Duration
}

// Expect is ExpectCrawl for a crawl from seedPath to maxDepth with the
// default redirect limit.
func (s *Site) Expect(seedPath string, maxDepth int) Expectation {
	return s.ExpectCrawl(Crawl{Seed: seedPath, MaxDepth: maxDepth})
}

// ExpectCrawl computes what a host-scoped, robots-obeying crawl must record.
// It walks the same model the handler serves: links are followed only from
// HTML 2xx pages, a link is one hop, a redirect target is queued at the
// redirect's depth, and every URL is fetched once at its shortest depth.
//
// On hostile and robots sites the walk also applies the crawler's other
// rules (Crawl's limits, robots.txt failures, dedup keys, repeated
// segments, meta robots nofollow); see expectHostile.
func (s *Site) ExpectCrawl(c Crawl) Expectation {
	if s.hostile != nil {
		return s.expectHostile(c)
	}
	maxRedirects := c.MaxRedirects
	switch {
	case maxRedirects == 0:
		maxRedirects = DefaultMaxRedirects
	case maxRedirects < 0:
		maxRedirects = 0
	}
	e := Expectation{Crawl: c, Records: make(map[string]Outcome), External: slices.Sorted(slices.Values(s.external))}
	seed := s.byPath[c.Seed]
	if seed == nil || seed.id < 0 {
		if seed == nil {
			e.Records[c.Seed] = Outcome{Status: 404, Err: true, ContentType: "text/plain"}
		} else {
			e.Records[c.Seed] = s.outcome(seed, 0)
		}
		e.Never = s.never(nil)
		return e
	}

	dist := make([]int32, len(s.nodes))
	hops := make([]int32, len(s.nodes))
	via := make([]int32, len(s.nodes)) // the redirect a node was queued by
	for i := range dist {
		dist[i], via[i] = -1, -1
	}
	done := make([]bool, len(s.nodes))
	// Level-synchronous breadth-first search in which a redirect target
	// joins the level being processed (a 0-weight edge).
	level := []int32{seed.id}
	dist[seed.id] = 0
	for _, p := range c.Sources {
		if n := s.byPath[p]; n != nil && n.id >= 0 && dist[n.id] < 0 {
			dist[n.id] = 0
			level = append(level, n.id)
		}
	}
	for d := int32(0); len(level) > 0; d++ {
		var next []int32
		for i := 0; i < len(level); i++ {
			u := level[i]
			if done[u] || dist[u] != d {
				continue // a shorter path got there first
			}
			done[u] = true
			n := s.nodes[u]
			if s.Disallowed(n.path) {
				e.Records[n.path] = Outcome{Depth: int(d), Err: true, Robots: true}
				continue
			}
			o := s.outcome(n, int(d))
			switch {
			case n.kind == kindRedirect && n.target >= 0:
				t := n.target
				switch {
				case t == u || (hops[u] > 0 && via[u] == t):
					// Back to itself or to the URL that redirected here.
					o.Err, o.Error = true, "redirect loop"
				case int(hops[u]) >= maxRedirects:
					o.Err = true
				case dist[t] < 0 || d < dist[t]:
					dist[t], hops[t], via[t] = d, hops[u]+1, u
					level = append(level, t)
				}
			case n.kind == kindRedirect && int(hops[u]) >= maxRedirects:
				// To another host: past the limit it is an error all the
				// same (the crawler checks the limit before the scope).
				o.Err = true
			case n.isHTML2xx() && int(d) < c.MaxDepth:
				for _, l := range n.links {
					if l.to < 0 || l.alt {
						continue // another host: out of scope
					}
					if dist[l.to] < 0 || d+1 < dist[l.to] {
						dist[l.to], hops[l.to] = d+1, 0
						next = append(next, l.to)
					}
				}
			}
			e.Records[n.path] = o
		}
		level = next
	}
	e.Never = s.never(e.Records)
	return e
}

// outcome is the record of fetching n at depth d.
func (s *Site) outcome(n *node, d int) Outcome {
	o := Outcome{Depth: d, Status: n.status, Err: n.status >= 400}
	if len(n.ctype) > 0 {
		if mt, _, err := mime.ParseMediaType(n.ctype[0]); err == nil {
			o.ContentType = mt
		}
	}
	switch {
	case n.kind == kindRedirect && n.target >= 0:
		o.Redirect = s.nodes[n.target].path
	case n.kind == kindRedirect:
		o.Redirect = n.ext
	case n.isHTML2xx():
		o.Title = n.title
	}
	if n.vclass != valNA {
		v := s.validatorsOf(n, n.enc == encGzip)
		o.Revision, o.ETag, o.LastModified = int(n.revision), v.etag, v.lastModified()
	}
	return o
}

// never lists the paths of nodes that are not fetched by a crawl with these
// records.
func (s *Site) never(records map[string]Outcome) []string {
	var paths []string
	for _, n := range s.nodes {
		if o, ok := records[n.path]; !ok || o.Robots {
			paths = append(paths, n.path)
		}
	}
	slices.Sort(paths)
	return paths
}

// Paths returns the record keys, sorted.
func (e Expectation) Paths() []string {
	paths := make([]string, 0, len(e.Records))
	for p := range e.Records {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

// Links returns the links a parser must extract from the HTML page at path
// when the site is served at origin ("http://127.0.0.1:8080"): absolute,
// normalized, http(s) only, in document order, without duplicates. It
// returns nil for paths that are not HTML 2xx pages.
func (s *Site) Links(path, origin string) []string {
	if s.hostile != nil {
		return s.hostileLinks(path, origin)
	}
	n := s.byPath[path]
	if n == nil || !n.isHTML2xx() {
		return nil
	}
	origin = strings.ToLower(strings.TrimSuffix(origin, "/"))
	scheme, host, _ := strings.Cut(origin, "://")
	var links []string
	seen := make(map[string]bool, len(n.links))
	for _, l := range n.links {
		var u string
		switch {
		case l.ext > 0:
			u = s.external[l.ext-1]
		case l.alt:
			u = scheme + "://" + altHost(host) + s.nodes[l.to].path
		default:
			u = origin + s.nodes[l.to].path
		}
		if !seen[u] {
			seen[u] = true
			links = append(links, u)
		}
	}
	return links
}
