package testserver

import (
	"fmt"
	"mime"
	"slices"
	"strings"
)

// Outcome is what a crawl must record for one URL.
type Outcome struct {
	// Depth is the number of link hops from the seed along the shortest
	// path; following a redirect is not a hop.
	Depth int
	// Status is the HTTP status of the response, 0 when robots.txt
	// disallows the URL.
	Status int
	// Err reports whether the record carries an error: robots-disallowed,
	// a 4xx/5xx status, or a redirect past the redirect limit.
	Err bool
	// Redirect is the normalized target of a 3xx response: a path on this
	// site, or an absolute URL on another host.
	Redirect string
	// Robots reports that robots.txt disallows the URL: it is recorded with
	// status 0 and an error and never requested.
	Robots bool
	// Title is the decoded <title> of an HTML 2xx page.
	Title string
	// ContentType is the media type of the response (no parameters); empty
	// for redirects and robots-disallowed URLs.
	ContentType string
}

// Retried reports whether the crawler retries this outcome (5xx and 429),
// so that its URL is requested 1+retries times.
func (o Outcome) Retried() bool { return o.Status >= 500 || o.Status == 429 }

// Crawl describes the crawl an Expectation is computed for: host scope,
// robots.txt obeyed, breadth first.
type Crawl struct {
	// Seed is the canonical path (with query) the crawl starts from.
	Seed string
	// MaxDepth is the largest link depth fetched; the seed is depth 0.
	MaxDepth int
	// MaxRedirects is the longest redirect chain followed: a URL reached
	// through MaxRedirects redirects that answers with yet another redirect
	// is recorded with an error and its target is not queued. 0 means
	// DefaultMaxRedirects; negative means no redirect is followed.
	MaxRedirects int
}

// Expectation is what a crawl of the site must produce.
type Expectation struct {
	Crawl Crawl
	// Records holds one outcome per URL the crawl must record, keyed by the
	// normalized path with query (scheme and host left out).
	Records map[string]Outcome
	// Never lists, sorted, the site's paths that a correct crawl never
	// requests: robots-disallowed, beyond the depth limit, out of scope,
	// only linked from pages that are not parsed, or only named by link
	// look-alikes.
	Never []string
	// External lists, sorted, the absolute URLs on other hosts that the site
	// links or redirects to. A host-scoped crawl never requests them.
	External []string
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
func (s *Site) ExpectCrawl(c Crawl) Expectation {
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
	for i := range dist {
		dist[i] = -1
	}
	done := make([]bool, len(s.nodes))
	// Level-synchronous breadth-first search in which a redirect target
	// joins the level being processed (a 0-weight edge).
	level := []int32{seed.id}
	dist[seed.id] = 0
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
				if int(hops[u]) >= maxRedirects {
					o.Err = true
					break
				}
				t := n.target
				if dist[t] < 0 || d < dist[t] {
					dist[t], hops[t] = d, hops[u]+1
					level = append(level, t)
				}
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

// maxProblems bounds the problems listed in one Compare or CheckRequests
// error.
const maxProblems = 20

func problemsError(what string, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	n := len(problems)
	if n > maxProblems {
		problems = append(problems[:maxProblems], fmt.Sprintf("... and %d more", n-maxProblems))
	}
	return fmt.Errorf("%s: %d problems:\n%s", what, n, strings.Join(problems, "\n"))
}

// Compare checks records of a crawl against the expectation: the same keys,
// and for each the same Depth, Status and Err; the same Title for HTML 2xx
// pages. Redirect, ContentType and Robots are compared only where got sets
// them, so a caller that cannot observe them may leave them zero. The error
// lists the differences, sorted, at most maxProblems of them.
func (e Expectation) Compare(got map[string]Outcome) error {
	var problems []string
	for p, w := range e.Records {
		g, ok := got[p]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: missing, want %+v", p, w))
			continue
		}
		if g.Depth != w.Depth || g.Status != w.Status || g.Err != w.Err ||
			(w.Title != "" && g.Title != w.Title) ||
			(g.Redirect != "" && g.Redirect != w.Redirect) ||
			(g.ContentType != "" && g.ContentType != w.ContentType) ||
			(g.Robots && !w.Robots) {
			problems = append(problems, fmt.Sprintf("%s: got %+v, want %+v", p, g, w))
		}
	}
	for p, g := range got {
		if _, ok := e.Records[p]; !ok {
			problems = append(problems, fmt.Sprintf("%s: unexpected record %+v", p, g))
		}
	}
	return problemsError("records differ from expectation", problems)
}

// CheckRequests checks a request log (Site.Requests) against the
// expectation for a crawl with the given number of retries: robots.txt
// requested once, every record that is not robots-disallowed requested once
// (1+retries times when Retried), nothing else requested.
func (e Expectation) CheckRequests(got map[string]int, retries int) error {
	var problems []string
	want := map[string]int{"/robots.txt": 1}
	for p, o := range e.Records {
		switch {
		case o.Robots:
		case o.Retried():
			want[p] = 1 + retries
		default:
			want[p] = 1
		}
	}
	for p, w := range want {
		if g := got[p]; g != w {
			problems = append(problems, fmt.Sprintf("%s: requested %d times, want %d", p, g, w))
		}
	}
	for p, g := range got {
		if _, ok := want[p]; !ok {
			problems = append(problems, fmt.Sprintf("%s: requested %d times, want 0", p, g))
		}
	}
	return problemsError("requests differ from expectation", problems)
}

// Links returns the links a parser must extract from the HTML page at path
// when the site is served at origin ("http://127.0.0.1:8080"): absolute,
// normalized, http(s) only, in document order, without duplicates. It
// returns nil for paths that are not HTML 2xx pages.
func (s *Site) Links(path, origin string) []string {
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
